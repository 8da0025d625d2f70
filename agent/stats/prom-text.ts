// Pure: the Prometheus text exposition format (0.0.4) as client_golang writes it, for the
// metrics whose samples carry explicit timestamps. prom-client cannot write those (it dropped
// sample timestamps in v13), and the kubelet's /metrics/resource and cAdvisor's metrics give the
// sample time of each figure, which metrics-server uses to compute rates. So these families are
// written here; counters nodelet keeps itself (probes) still use prom-client.

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  /** ms since epoch; unset = no timestamp. */
  readonly timestamp?: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: readonly Sample[];
}

/**
 * Go's strconv.FormatFloat(v, 'g', -1, 64), which client_golang uses: the shortest digits that
 * round-trip, in %e form when the exponent is < -4 or >= 6 (so 1234567 → 1.234567e+06, with at
 * least two exponent digits), plain decimal otherwise.
 */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  // JS writes this range in plain decimal with the same shortest digits.
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function sampleLine(name: string, s: Sample): string {
  // client_golang sorts label pairs by name.
  const labels = Object.entries(s.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lbl = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
  return `${name}${lbl} ${goFloat(s.value)}${s.timestamp !== undefined ? ` ${Math.trunc(s.timestamp)}` : ''}`;
}

/** Families in name order (as the Go registry gathers them); a family without samples is not written. */
export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(sampleLine(f.name, s));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
