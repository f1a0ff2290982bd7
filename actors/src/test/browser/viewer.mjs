// Drives the station's web viewer in headless Chromium for StationBrowserTest. Commands on stdin,
// one per line; each is answered with one line on stdout:
//   type <text>   types text and Enter into the viewer        -> TYPED
//   click <x> <y> clicks the canvas at framebuffer pixel (x, y)    -> CLICKED
//   snap <file>   the canvas's exact pixels as PNG to <file>,   -> SNAPPED <title>
//                 and a screenshot of the page to <file>.page.png
//   open <url>    another viewer page, now the current one      -> OPENED
//   use <n>       page n (0 = the first) is the current one      -> USING
//   offsite       what viewer pages asked of any other host     -> OFFSITE <n> <urls>
//   attack <url>  opens a page of another origin, which tries the station's WebSocket and puts
//                 what happened in its title ('open: ...' or 'refused')   -> ATTACK <title>
// The browser has no internet: every host name fails to resolve (127.0.0.1 still connects).
//   quit                                                        -> BYE
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import readline from 'node:readline';

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const pages = [];
const offsite = [];
async function open(address) {
  const p = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const station = new URL(address).host;
  p.on('request', r => { if (new URL(r.url()).host !== station) offsite.push(r.url()); });
  p.on('console', m => process.stderr.write('browser ' + pages.length + ': ' + m.text() + '\n'));
  await p.goto(address);
  await p.waitForFunction(() => document.title === 'connected', null, { timeout: 30000 });
  pages.push(p);
  return p;
}
let page = await open(url);
console.log('CONNECTED');

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const [cmd, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (cmd === 'type') {
    await page.locator('#screen canvas').click();
    await page.keyboard.type(arg);
    await page.keyboard.press('Enter');
    console.log('TYPED');
  } else if (cmd === 'click') {
    const [x, y] = rest.map(Number);
    const canvas = page.locator('#screen canvas');
    // CSS pixels per framebuffer pixel, should the viewer scale the canvas.
    const scale = await canvas.evaluate(c => c.getBoundingClientRect().width / c.width);
    await canvas.click({ position: { x: x * scale, y: y * scale } });
    console.log('CLICKED');
  } else if (cmd === 'snap') {
    const data = await page.evaluate(() => document.querySelector('#screen canvas').toDataURL('image/png'));
    writeFileSync(arg, Buffer.from(data.split(',')[1], 'base64'));
    await page.screenshot({ path: arg + '.page.png' });
    console.log('SNAPPED ' + await page.title());
  } else if (cmd === 'open') {
    page = await open(arg);
    console.log('OPENED');
  } else if (cmd === 'use') {
    page = pages[Number(arg)];
    console.log('USING');
  } else if (cmd === 'offsite') {
    console.log('OFFSITE ' + offsite.length + ' ' + offsite.join(' '));
  } else if (cmd === 'attack') {
    const p = await browser.newPage();
    p.on('console', m => process.stderr.write('attacker: ' + m.text() + '\n'));
    await p.goto(arg);
    await p.waitForFunction(() => document.title.startsWith('open') || document.title === 'refused', null,
        { timeout: 30000 });
    console.log('ATTACK ' + await p.title());
    await p.close();
  } else if (cmd === 'quit') {
    console.log('BYE');
    break;
  }
}
await browser.close();
