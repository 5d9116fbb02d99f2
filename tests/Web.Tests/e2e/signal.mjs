// Comparing heard audio with the spoken WAV: 10 ms RMS envelopes, best-lag normalised correlation, speech span.
const Window = 480;

export function envelope(pcm) {
  const out = new Float64Array(Math.floor(pcm.length / Window));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let j = i * Window; j < (i + 1) * Window; j++) sum += pcm[j] * pcm[j];
    out[i] = Math.sqrt(sum / Window);
  }
  return out;
}

/** Highest Pearson correlation of the two envelopes over lags up to ±maxLag windows, and that lag. */
export function bestCorrelation(a, b, maxLag = 100) {
  let best = { r: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const xs = [], ys = [];
    for (let i = 0; i < a.length; i++) {
      const j = i + lag;
      if (j >= 0 && j < b.length) { xs.push(a[i]); ys.push(b[j]); }
    }
    if (xs.length < 50) continue;
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length, my = ys.reduce((s, y) => s + y, 0) / ys.length;
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
    const r = sxy / Math.sqrt(sxx * syy);
    if (r > best.r) best = { r, lag };
  }
  return best;
}

/** Milliseconds from the first to the last 10 ms window louder than 10% of the loudest. */
export function speechSpanMs(env) {
  const max = Math.max(...env);
  const loud = [...env].map((v, i) => (v > max * 0.1 ? i : -1)).filter((i) => i >= 0);
  return loud.length === 0 ? 0 : (loud[loud.length - 1] - loud[0] + 1) * 10;
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
