// Drives the station's web viewer's audio in headless Chromium for AudioBrowserTest. The browser
// plays to no sound card (there is none here); WebAudio runs all the same, and the page's
// window.rackshareAudio says what its AnalyserNode hears. Commands on stdin, one per line; each
// is answered with one line on stdout:
//   audio-on      clicks the page's audio button (a user gesture)        -> CLICKED <status text>
//   audio         what plays, as JSON {state, blade, problem, rate,      -> AUDIO <json>
//                 channels, chunks, framesPlayed, peakHz, contextState}
//   quit                                                                -> BYE
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--autoplay-policy=no-user-gesture-required',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
page.on('console', m => process.stderr.write('browser: ' + m.text() + '\n'));
await page.goto(url);
await page.waitForFunction(() => document.title === 'connected', null, { timeout: 30000 });
console.log('CONNECTED');

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const [cmd] = line.split(' ');
  if (cmd === 'audio-on') {
    await page.locator('#audio').click();
    console.log('CLICKED ' + await page.locator('#audio-status').textContent());
  } else if (cmd === 'audio') {
    const info = await page.evaluate(() => {
      const a = window.rackshareAudio;
      return { state: document.getElementById('audio-status').textContent, blade: a.blade, problem: a.problem,
        rate: a.rate, channels: a.channels, chunks: a.chunks, framesPlayed: a.framesPlayed, peakHz: a.peakHz() };
    });
    console.log('AUDIO ' + JSON.stringify(info));
  } else if (cmd === 'quit') {
    console.log('BYE');
    break;
  }
}
await browser.close();
