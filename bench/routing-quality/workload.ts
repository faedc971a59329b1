/**
 * The routing-quality workload: many multi-turn chat sessions; each session talks about one of a few
 * long documents, and every document comes after one system prompt all sessions share. Sessions
 * arrive as a Poisson process; within a session each turn follows the previous answer after an
 * exponential think time. Everything is drawn from one seeded RNG, so every policy replays the same
 * sessions.
 */
export interface WorkloadConfig {
  seed: number;
  sessions: number;
  documents: number;
  /** Characters of the shared system prompt, and of each document. */
  systemChars: number;
  documentChars: number;
  /** Characters of each user message. */
  userChars: number;
  turnsMin: number;
  turnsMax: number;
  /** Offered requests per second (sessions arrive at this rate / mean turns). */
  requestRate: number;
  /** Mean pause between an answer and the session's next question. */
  thinkMs: number;
}

export interface SessionPlan {
  id: string;
  document: number;
  /** When the session starts, ms from the beginning of the run. */
  startAtMs: number;
  /** One user message per turn. */
  questions: string[];
  /** Pause before each turn after the first. */
  thinkMs: number[];
}

export interface Workload {
  config: WorkloadConfig;
  systemPrompt: string;
  documents: string[];
  sessions: SessionPlan[];
  requests: number;
}

/** mulberry32: a small, fast, seedable PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('alpha beta gamma delta kappa omega river stone cloud maple cedar harbor signal vector ledger orbit prism ' +
  'canyon meadow summit lantern copper velvet quartz ember tundra falcon willow bramble cobalt saffron').split(' ');

function text(random: () => number, chars: number, head: string): string {
  let out = head;
  while (out.length < chars) out += ` ${WORDS[Math.floor(random() * WORDS.length)]}`;
  return out.slice(0, chars);
}

const exponential = (random: () => number, mean: number) => -Math.log(1 - random()) * mean;

export function generateWorkload(config: WorkloadConfig): Workload {
  const random = seededRandom(config.seed);
  const systemPrompt = text(random, config.systemChars, 'You are a careful assistant for the support team. Answer from the document only.');
  const documents = Array.from({ length: config.documents }, (_, d) => text(random, config.documentChars, `Document ${d}:`));
  const meanTurns = (config.turnsMin + config.turnsMax) / 2;
  const sessionGapMs = (1000 * meanTurns) / config.requestRate;
  const sessions: SessionPlan[] = [];
  let at = 0;
  let requests = 0;
  for (let s = 0; s < config.sessions; s++) {
    const turns = config.turnsMin + Math.floor(random() * (config.turnsMax - config.turnsMin + 1));
    requests += turns;
    sessions.push({
      id: `session-${s}`,
      document: Math.floor(random() * config.documents),
      startAtMs: at,
      questions: Array.from({ length: turns }, (_, t) => text(random, config.userChars, `Question ${t + 1} of session ${s}:`)),
      thinkMs: Array.from({ length: turns }, (_, t) => (t === 0 ? 0 : exponential(random, config.thinkMs))),
    });
    at += exponential(random, sessionGapMs);
  }
  return { config, systemPrompt, documents, sessions, requests };
}
