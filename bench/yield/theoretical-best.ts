/**
 * The farm's theoretical best: how many of the offered requests could have been answered had
 * every limit been known. An omniscient scheduler serves each request at its arrival (no
 * waiting) on some provider with room in every window, by the simulators' own rules
 * (limit-window.ts). Every fixed order of the providers is tried (720 for six) and the best is
 * kept: a schedule that really exists, so a lower bound of the optimum, and the optimum itself
 * when it serves every request. The upper bound is what the providers could serve if each
 * received every request on its own.
 */
import { amountsFor, type Farm, limitWindows, minutePhaseMs } from './farm.ts';
import { admit, type LimitWindow } from './limit-window.ts';

/** Options of {@link theoreticalBest}. */
export interface TheoreticalBestOptions {
  farm: Farm;
  /** The run's seed (window phases). */
  seed: number;
  /** When each request is offered (ms after the run's origin). */
  arrivals: number[];
  /** The body every request sends (for token limits). */
  body: unknown;
}

/** The best schedule found. */
export interface BestSchedule {
  offered: number;
  /** Requests it serves. */
  served: number;
  /** Whether `served` is the optimum (it serves every request). */
  exact: boolean;
  /** No schedule can serve more than this. */
  upperBound: number;
  /** Requests per provider in that schedule. */
  perProvider: Record<string, number>;
  /** Requests each provider could serve alone, receiving every request. */
  alone: Record<string, number>;
  /** The provider order of that schedule. */
  order: string[];
  /** Requests served when every request tries the providers in the chain's order, every limit known. */
  inChainOrder: number;
}

export function theoreticalBest(options: TheoreticalBestOptions): BestSchedule {
  const { farm, seed, arrivals, body } = options;
  const providers = farm.providers;
  const amounts = providers.map((provider) => amountsFor(provider, body));
  const schedule = (order: number[]) => {
    const windows = new Map<number, LimitWindow[]>(
      order.map((index) => [
        index,
        limitWindows(farm, providers[index]!, 0, minutePhaseMs(farm, seed, index)),
      ]),
    );
    const served = new Array<number>(providers.length).fill(0);
    for (const at of arrivals) {
      for (const index of order) {
        if (admit(windows.get(index)!, at, amounts[index]!) >= 0) continue;
        served[index]!++;
        break;
      }
    }
    return served;
  };

  const total = (served: number[]) => served.reduce((sum, count) => sum + count, 0);
  let best = { order: [] as number[], served: [] as number[], total: -1 };
  for (const order of permutations(providers.map((_, index) => index))) {
    const served = schedule(order);
    if (total(served) > best.total) best = { order, served, total: total(served) };
    if (best.total === arrivals.length) break;
  }
  const alone = providers.map((_, index) => schedule([index])[index]!);
  const upperBound = Math.min(arrivals.length, total(alone));
  return {
    offered: arrivals.length,
    served: best.total,
    exact: best.total === arrivals.length || best.total === upperBound,
    upperBound,
    perProvider: Object.fromEntries(
      providers.map((provider, index) => [provider.id, best.served[index] ?? 0]),
    ),
    alone: Object.fromEntries(providers.map((provider, index) => [provider.id, alone[index]!])),
    order: best.order.map((index) => providers[index]!.id),
    inChainOrder: total(schedule(providers.map((_, index) => index))),
  };
}

function* permutations(items: number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (const [position, item] of items.entries()) {
    const rest = [...items.slice(0, position), ...items.slice(position + 1)];
    for (const tail of permutations(rest)) yield [item, ...tail];
  }
}
