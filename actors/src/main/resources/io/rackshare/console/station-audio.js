// The console station's audio for its web viewer: the WebSocket /audio relays the audio of the
// blade the station shows (StationWeb, AudioSocket). The station sends a 16-byte challenge first,
// answered as VNC authentication answers it (noVNC's RFB.genDES, with the viewer's password); then
// the state of the audio as JSON text ({blade, rate, channels, format, problem}) on each change,
// and signed 16-bit little-endian PCM chunks as binary messages (password() gives the viewer's
// password when the challenge comes). They are played with WebAudio, each chunk an
// AudioBufferSourceNode scheduled right after the one before, through an AnalyserNode. Browsers start audio only after a user gesture: the button starts and stops it.
// window.rackshareAudio tells tests (and the curious) what plays: the state, frames played and
// the analyser's peak frequency.
const AHEAD = 0.15;   // seconds of audio scheduled ahead of the clock at the start
const LATE = 0.6;     // more than this ahead (the network bunched chunks): drop, to keep up

export function attachAudio({ genDES, password, button, status }) {
  let ctx = null;
  let ws = null;
  let analyser = null;
  let next = 0;
  let format = null;
  const info = {
    state: 'off', blade: null, problem: null, rate: 0, channels: 0,
    chunks: 0, dropped: 0, framesPlayed: 0,
    peakHz() {
      if (!analyser) return 0;
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      let best = 1;
      for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
      return bins[best] < -90 ? 0 : best * ctx.sampleRate / analyser.fftSize;
    },
  };
  window.rackshareAudio = info;
  const say = text => { status.textContent = text; info.state = text; };

  function onState(s) {
    info.blade = s.blade; info.problem = s.problem;
    format = s.rate ? { rate: s.rate, channels: s.channels } : null;
    info.rate = s.rate || 0; info.channels = s.channels || 0;
    next = 0; // a new source: start afresh
    if (s.problem) say('audio: no audio from ' + (s.blade || 'any blade') + ': ' + s.problem);
    else if (format) say('audio: ' + s.blade + ', ' + s.rate + ' Hz ' + (s.channels === 1 ? 'mono' : 'stereo'));
    else say('audio: ' + (s.blade || 'no blade'));
  }

  function play(data) {
    if (!format || !ctx) return;
    const pcm = new DataView(data);
    const frames = Math.floor(data.byteLength / (2 * format.channels));
    if (frames === 0) return;
    const buffer = ctx.createBuffer(format.channels, frames, format.rate);
    for (let c = 0; c < format.channels; c++) {
      const out = buffer.getChannelData(c);
      for (let i = 0; i < frames; i++) out[i] = pcm.getInt16((i * format.channels + c) * 2, true) / 32768;
    }
    const now = ctx.currentTime;
    if (next < now) next = now + AHEAD;
    if (next - now > LATE) { info.dropped++; return; }
    const node = ctx.createBufferSource();
    node.buffer = buffer;
    node.connect(analyser);
    node.onended = () => { info.framesPlayed += frames; };
    node.start(next);
    next += buffer.duration;
    info.chunks++;
  }

  function start() {
    ctx = new AudioContext();
    analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    analyser.connect(ctx.destination);
    ctx.resume();
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/audio');
    ws.binaryType = 'arraybuffer';
    let answered = false;
    ws.onmessage = e => {
      if (!answered) {
        answered = true;
        ws.send(genDES(password(), Array.from(new Uint8Array(e.data))));
        return;
      }
      if (typeof e.data === 'string') onState(JSON.parse(e.data));
      else play(e.data);
    };
    ws.onclose = () => { if (ws) say('audio: disconnected'); };
    button.textContent = 'Audio off';
    say('audio: connecting…');
  }

  function stop() {
    const w = ws;
    ws = null;
    if (w) w.close();
    if (ctx) ctx.close();
    ctx = null; analyser = null; format = null;
    button.textContent = 'Audio on';
    say('audio: off');
  }

  button.onclick = () => (ctx ? stop() : start());
  say('audio: off');
}
