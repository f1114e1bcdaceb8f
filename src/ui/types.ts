/** The shapes the dashboard reads from its API (the subset each page shows). */

export interface Run {
  id: string;
  experimentId: string;
  experimentName?: string;
  name: string;
  status: string;
  parentRunId?: string;
  startTime: number;
  endTime?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
}

export interface MetricPoint {
  step: number;
  value: number;
  timestamp: number;
}

export interface StepRun {
  step: string;
  status: string;
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
  cacheHit: boolean;
  reason?: string;
  items?: number;
  error?: { message?: string };
  logs?: Array<{ at: number; level: string; message: string; data?: unknown }>;
}

export interface PipelineRun {
  id: string;
  pipeline: string;
  version: string;
  status: string;
  trigger?: string;
  params: unknown;
  createdAt: number;
  finishedAt?: number;
  error?: { message?: string };
}

export interface LineageNode {
  id: string;
  kind: string;
  type: string;
  name: string;
  hops?: number;
}

export interface Alert {
  id: string;
  monitor: string;
  rule: string;
  status: string;
  severity: string;
  figure?: string;
  value?: number;
  window: number;
  message?: string;
  openedAt?: number;
  resolvedWindow?: number;
}
