/**
 * The two engines every real-engine suite shares. Both serve the tiny model as `tiny` (for
 * policies choosing between them), and each also under its own name (for routing by model).
 */
export const SHARED_ENGINES = [
  { name: 'a', host: '127.0.42.2', servedNames: ['tiny', 'tiny-a'], cpu: 0 },
  { name: 'b', host: '127.0.42.3', servedNames: ['tiny', 'tiny-b'], cpu: 1 },
] as const;
