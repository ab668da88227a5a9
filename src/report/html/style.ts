/** The report's inline stylesheet (no external fonts or files: the page must render offline). */
export const STYLE = `
:root { --ink: #1f2933; --muted: #52606d; --line: #e4e7eb; --bg: #f4f6f8; --panel: #fff; --accent: #0072B2; --warn: #D55E00; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 24px 56px; }
header.top { padding: 8px 0 18px; border-bottom: 1px solid var(--line); margin-bottom: 18px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; font-weight: 700; color: var(--accent); margin: 0; }
h1 { font-size: 28px; line-height: 1.25; margin: 4px 0 6px; font-weight: 700; }
h2 { font-size: 20px; margin: 0 0 4px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
h3 { font-size: 15px; margin: 18px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
nav.toc { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; margin: 12px 0 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 22px 26px; margin: 18px 0; }
.lede { color: var(--muted); margin: 0 0 14px; font-size: 14px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .92em; background: #f0f2f5; padding: 0 4px; border-radius: 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(165px, 1fr)); gap: 12px; margin: 4px 0 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: #fbfcfd; }
.card .label { font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
.card .value { font-size: 23px; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.3; margin-top: 2px; }
.card .value.long { font-size: 17px; line-height: 1.76; }
.card .note { font-size: 12px; color: var(--muted); }
.summary .card .value { color: var(--ink); }
.card.warn { border-color: #f0b9a0; background: #fdf1ec; }
.summary .card.warn .value, .card.warn .note { color: #a33d00; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; margin: 6px 0 4px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; white-space: nowrap; }
table.kv th { width: 36%; color: var(--muted); font-weight: 500; }
.two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 0 28px; }
@media (max-width: 760px) { .two-col { grid-template-columns: 1fr; } }
figure { margin: 16px 0 8px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
.absent { border-left: 4px solid #cbd2d9; background: #f5f7fa; padding: 12px 16px; margin: 8px 0 0; color: var(--muted); border-radius: 0 6px 6px 0; }
.badge { font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; padding: 2px 8px; border-radius: 999px; }
.badge.predicted { background: #e6f1f8; color: #005a8c; }
.badge.simulated { background: #e5f5ef; color: #00704f; }
.badge.synthesised { background: #fdf3dc; color: #7a4f00; }
.badge.published { background: #efe6f5; color: #5b2a86; }
.badge.measured { background: #fde8ec; color: #8c1230; }
.badge.none { background: #eef1f4; color: var(--muted); }
.badge.warn { background: #fbe7df; color: #a33d00; }
.ratio { font-weight: 700; padding: 1px 6px; border-radius: 4px; }
.ratio.ok { background: #e5f5ef; color: #00704f; }
.ratio.warn { background: #fdf3dc; color: #8a5a00; }
.ratio.bad { background: #fbe7df; color: #a33d00; }
.ratio.none { color: var(--muted); font-weight: 400; }
.note { color: var(--muted); font-size: 13px; }
.alert { border-left: 4px solid var(--warn); background: #fdf1ec; padding: 10px 16px; margin: 8px 0 4px; border-radius: 0 6px 6px 0; font-size: 14px; }
.alert ul { margin: 4px 0 0; padding-left: 18px; }
table.compare td { padding: 8px 10px; }
table.compare .pair { font-size: 12.5px; margin-top: 2px; white-space: nowrap; line-height: 1.35; }
table.compare th { white-space: normal; }
table.compare .vs { color: var(--muted); margin-top: 0; }
.table-wrap { overflow-x: auto; }
details { margin-top: 10px; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 24px; }
footer ul { margin: 6px 0; padding-left: 18px; }
@media print {
  body { background: #fff; }
  section { break-inside: avoid; border-color: #ccc; }
  nav.toc { display: none; }
}
`;
