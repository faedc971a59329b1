/**
 * Open-loop arrivals for the overload benchmark: a Poisson process at a fixed rate, each request
 * drawn from one seeded RNG (the same plan for admission off and on): its tenant (one sends five
 * times the other's traffic), its class (urgent or normal priority), its prompt and output length,
 * and for the affinity part a session whose long prefix the session's engine has cached.
 */
import { seededRandom } from '../routing-quality/workload.js';

export type Tenant = 'big' | 'small';
export type RequestClass = 'urgent' | 'normal';
export const TENANTS: readonly Tenant[] = ['big', 'small'];
export const CLASSES: readonly RequestClass[] = ['urgent', 'normal'];

export interface WorkloadConfig {
  seed: number;
  /** Requests per second offered. */
  rate: number;
  seconds: number;
  /** Share of each tenant's requests that are urgent. */
  urgentShare: number;
  /** The big tenant sends this many times the small one's requests. */
  bigToSmall: number;
  promptTokens: [number, number];
  outputTokens: [number, number];
  /** Affinity part: this many sessions, each with a prefix of sessionPrefixTokens; 0 = none. */
  sessions: number;
  sessionPrefixTokens: number;
}

export interface PlannedRequest {
  /** ms from the start of the run. */
  at: number;
  tenant: Tenant;
  cls: RequestClass;
  /** The user message (4 characters a token in the simulator). */
  content: string;
  outputTokens: number;
  session?: string;
}

const WORDS = 'river stone cloud maple cedar harbor signal vector ledger orbit prism canyon meadow summit lantern copper velvet quartz ember'.split(' ');

function words(random: () => number, chars: number, head: string): string {
  let out = head;
  while (out.length < chars) out += ` ${WORDS[Math.floor(random() * WORDS.length)]}`;
  return out.slice(0, chars);
}

const uniformInt = (random: () => number, [min, max]: [number, number]) => min + Math.floor(random() * (max - min + 1));

export function planRequests(config: WorkloadConfig): PlannedRequest[] {
  const random = seededRandom(config.seed);
  const prefixes = Array.from({ length: config.sessions }, (_, s) => words(random, config.sessionPrefixTokens * 4, `Session ${s} shared context:`));
  const plan: PlannedRequest[] = [];
  const end = config.seconds * 1000;
  const smallShare = 1 / (1 + config.bigToSmall);
  for (let at = 0, n = 0; ; n++) {
    at += -Math.log(1 - random()) * (1000 / config.rate);
    if (at >= end) break;
    const tenant: Tenant = random() < smallShare ? 'small' : 'big';
    const cls: RequestClass = random() < config.urgentShare ? 'urgent' : 'normal';
    const promptTokens = uniformInt(random, config.promptTokens);
    const outputTokens = uniformInt(random, config.outputTokens);
    if (config.sessions > 0) {
      const s = Math.floor(random() * config.sessions);
      plan.push({ at, tenant, cls, outputTokens, session: `s${s}`, content: `${prefixes[s]}\n${words(random, promptTokens * 4, `Question ${n}:`)}` });
    } else plan.push({ at, tenant, cls, outputTokens, content: words(random, promptTokens * 4, `Request ${n}:`) });
  }
  return plan;
}

/** The mean service time of a plan's requests on an idle engine slot (cold prefill + decode), ms. */
export function meanServiceMs(config: Pick<WorkloadConfig, 'promptTokens' | 'outputTokens'>, engine: { prefillMsPerToken: number; tokenDelayMs: number }): number {
  const prompt = (config.promptTokens[0] + config.promptTokens[1]) / 2 + 8; // chat template tokens
  const output = (config.outputTokens[0] + config.outputTokens[1]) / 2;
  return prompt * engine.prefillMsPerToken + (output - 1) * engine.tokenDelayMs;
}
