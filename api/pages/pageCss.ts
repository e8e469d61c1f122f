/** The one stylesheet of connectflow's pages: one column, readable on a phone, visible focus, light and dark. */
export const PAGE_CSS = `
:root{--fg:#18202e;--muted:#556070;--bg:#f2f4f7;--card:#fff;--line:#dfe3ea;--accent:#1d5bd0;--accent-hover:#174aa9;--on-accent:#fff;--ok:#137a3f;--bad:#b42318;--focus:#e59a00}
@media (prefers-color-scheme:dark){:root{--fg:#e8ecf2;--muted:#a4adbb;--bg:#12161d;--card:#1b212b;--line:#2d3543;--accent:#6d9eff;--accent-hover:#8fb4ff;--on-accent:#0b1220;--ok:#4cc47f;--bad:#ff7b72}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:30rem;margin:0 auto;padding:1.5rem 1rem 3rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1.5rem 1.25rem}
.eyebrow{margin:0;color:var(--muted);font-size:.9rem}
h1{margin:.25rem 0 1rem;font-size:1.5rem;line-height:1.25;overflow-wrap:anywhere}
h2{margin:1.25rem 0 .5rem;font-size:1rem}
p{margin:0 0 1rem}
strong{overflow-wrap:anywhere}
ul.scopes{list-style:none;margin:0 0 1rem;padding:0;border-top:1px solid var(--line)}
ul.scopes li{padding:.6rem 0;border-bottom:1px solid var(--line)}
ul.scopes code{display:block;color:var(--muted);font-size:.8rem;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.time{color:var(--muted)}
.time strong{color:var(--fg)}
.button{display:block;width:100%;min-height:3rem;margin:0 0 .75rem;padding:.75rem 1rem;border:2px solid var(--accent);border-radius:.5rem;background:var(--accent);color:var(--on-accent);font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
.button:hover{background:var(--accent-hover);border-color:var(--accent-hover)}
.button.secondary{background:transparent;color:var(--accent)}
.button:disabled{opacity:.5;cursor:not-allowed}
.button[hidden]{display:none}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.fine{color:var(--muted);font-size:.875rem}
.mark{display:inline-flex;align-items:center;justify-content:center;width:2.5rem;height:2.5rem;border-radius:50%;font-weight:700;font-size:1.25rem;color:var(--card)}
.mark.ok{background:var(--ok)}
.mark.bad{background:var(--bad)}
details{margin-top:1rem;color:var(--muted);font-size:.875rem}
summary{cursor:pointer}
pre{margin:.5rem 0 0;padding:.75rem;overflow:auto;border-radius:.5rem;background:var(--bg);font-size:.8rem}
`
  .trim()
  .replace(/\n/g, '');
