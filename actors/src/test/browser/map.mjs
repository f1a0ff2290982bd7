// Opens a blade's live map page (GET /map) in headless Chromium for MapPageBrowserTest. Prints
// READY once the page has drawn the map, then answers commands on stdin, one line each:
//   show          what the page shows now, as one line of JSON        -> SHOW {...}
//                 (its title and note, whether it is stale, how many drawings came, each blade's
//                 classes and state, each extent's volume, part, disk, fill and state, the badges)
//   next          waits for the page's next refresh to end, drawn or failed (at most 10 s) -> NEXT
//   snap <file>   a screenshot of the whole page to <file>              -> SNAPPED
//   offsite       what the page asked of any other host                 -> OFFSITE <n> <urls>
//   quit                                                                 -> BYE
// The browser has no internet: every host name fails to resolve (127.0.0.1 still connects).
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const host = new URL(url).host;
const offsite = [];
page.on('request', r => { if (new URL(r.url()).host !== host) offsite.push(r.url()); });
page.on('console', m => process.stderr.write('browser: ' + m.text() + '\n'));
// A script the page's policy refused would show here (and the map would never be drawn).
page.on('pageerror', e => process.stderr.write('page error: ' + e.message + '\n'));
await page.goto(url);
await page.waitForFunction(() => Number(document.getElementById('map').dataset.updates) > 0, null, { timeout: 30000 });
console.log('READY');

function shows() {
  const map = document.getElementById('map');
  const all = (q, f) => Array.from(map.querySelectorAll(q), f);
  return {
    title: document.title,
    note: document.getElementById('note').textContent,
    stale: document.body.classList.contains('stale'),
    updates: Number(map.dataset.updates),
    blades: all('g.blade', g => ({ blade: g.dataset.blade, classes: g.getAttribute('class'), state: g.dataset.state,
      badges: Array.from(g.querySelectorAll('g.badge'), b => b.textContent) })),
    extents: all('rect.extent', r => ({ volume: r.dataset.volume, part: r.dataset.device, state: r.dataset.state,
      disk: r.closest('g.disk').dataset.device, fill: r.getAttribute('fill'),
      width: r.getBoundingClientRect().width })),
    legend: all('g.volume', g => ({ volume: g.dataset.volume, health: g.dataset.health, text: g.textContent })),
  };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const [cmd, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (cmd === 'show') {
    console.log('SHOW ' + JSON.stringify(await page.evaluate(shows)));
  } else if (cmd === 'next') {
    // The page counts its refreshes in #map's data-attempts: wait for that attribute to change.
    console.log(await page.evaluate(() => new Promise(resolve => {
      const map = document.getElementById('map');
      const timer = setTimeout(() => { seen.disconnect(); resolve('NO REFRESH IN 10 S'); }, 10000);
      const seen = new MutationObserver(() => { seen.disconnect(); clearTimeout(timer); resolve('NEXT'); });
      seen.observe(map, { attributes: true, attributeFilter: ['data-attempts'] });
    })));
  } else if (cmd === 'snap') {
    await page.screenshot({ path: arg, fullPage: true });
    console.log('SNAPPED');
  } else if (cmd === 'offsite') {
    console.log('OFFSITE ' + offsite.length + ' ' + offsite.join(' '));
  } else if (cmd === 'quit') {
    console.log('BYE');
    break;
  } else {
    console.log('UNKNOWN ' + cmd);
  }
}
await browser.close();
