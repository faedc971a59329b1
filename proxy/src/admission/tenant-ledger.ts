import type { AdmissionMetrics, RejectReason } from './admission-metrics.js';

export interface TenantUsage {
  tenant: string;
  weight: number;
  admitted: number;
  rejected: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * What each tenant has used since start, for /stats and the per-tenant metrics. Tenants are named
 * by clients (a header), so past the configured ones and the first 100 others everything is
 * counted under `other`: memory and label sets stay bounded whatever the traffic.
 */
export class TenantLedger {
  private readonly usageByTenant = new Map<string, TenantUsage>();

  constructor(
    private readonly metrics: AdmissionMetrics,
    private readonly weights: ReadonlyMap<string, number>,
  ) {}

  admitted(tenant: string): void {
    const row = this.row(tenant);
    row.admitted++;
    this.metrics.tenantChild(row.tenant).inc();
  }

  rejected(tenant: string, reason: RejectReason): void {
    const row = this.row(tenant);
    row.rejected++;
    this.metrics.tenantRejected.inc({ tenant: row.tenant, reason });
  }

  usage(tenant: string, promptTokens: number, completionTokens: number): void {
    const row = this.row(tenant);
    row.prompt_tokens += promptTokens;
    row.completion_tokens += completionTokens;
    if (promptTokens > 0) this.metrics.tenantTokens.inc({ tenant: row.tenant, kind: 'prompt' }, promptTokens);
    if (completionTokens > 0) this.metrics.tenantTokens.inc({ tenant: row.tenant, kind: 'completion' }, completionTokens);
  }

  rows(): TenantUsage[] {
    return [...this.usageByTenant.values()].map((r) => ({ ...r }));
  }

  private row(tenant: string): TenantUsage {
    const label = this.metrics.tenants.of(tenant);
    let row = this.usageByTenant.get(label);
    if (!row) {
      row = { tenant: label, weight: this.weights.get(label) ?? 1, admitted: 0, rejected: 0, prompt_tokens: 0, completion_tokens: 0 };
      this.usageByTenant.set(label, row);
    }
    return row;
  }
}
