// The demo player: reads config.json (the stack's playback URLs), offers
// the formats it holds, and plays one with hls.js or dash.js, both served
// from this page's own origin. What it shows, it shows in words.
'use strict';

(() => {
  const FORMATS = [
    { key: 'hls', label: 'HLS' },
    // Low-latency HLS: the same hls.js with its low-latency mode on (partial
    // segments, blocking playlist reloads).
    { key: 'llhls', label: 'Low-latency HLS' },
    { key: 'dash', label: 'DASH' },
    { key: 'cmaf', label: 'CMAF' },
    { key: 'mss', label: 'Smooth Streaming' },
  ];
  // While a stream cannot be loaded (a channel not started yet, say), try
  // again this often, so the page starts playing when the stream appears.
  const RETRY_MS = 5000;

  const video = document.getElementById('video');
  const ui = {
    choices: document.getElementById('choices'),
    format: document.getElementById('format'),
    rendition: document.getElementById('rendition'),
    buffer: document.getElementById('buffer'),
    latency: document.getElementById('latency'),
    latencyLabel: document.getElementById('latency-label'),
    message: document.getElementById('message'),
    eventPicker: document.getElementById('event-picker'),
    events: document.getElementById('events'),
    recordings: document.getElementById('recordings'),
    recordingList: document.getElementById('recording-list'),
    passcodeForm: document.getElementById('passcode-form'),
    passcode: document.getElementById('passcode'),
  };
  let session = null;
  const loaded = {};

  function say(text, tone = 'error') {
    ui.message.textContent = text;
    ui.message.className = tone === 'info' ? 'message info' : 'message';
    ui.message.hidden = !text;
    ui.message.dataset.tone = text ? tone : '';
  }

  function loadScript(src) {
    loaded[src] ??= new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`The player's script ${src} could not be loaded.`));
      document.head.appendChild(script);
    });
    return loaded[src];
  }

  // Which library plays a URL, from its manifest's name: hls.js for HLS
  // (and CMAF's HLS manifests), dash.js for DASH, dash.js with its Smooth
  // Streaming module for MSS.
  function engineFor(url) {
    const path = new URL(url, location.href).pathname.toLowerCase();
    if (path.endsWith('.m3u8')) return 'hls';
    if (path.endsWith('.mpd')) return 'dash';
    if (path.endsWith('/manifest') || path.endsWith('.ism')) return 'mss';
    return null;
  }

  function httpTrouble(status) {
    if (status === 404 || status === 410) {
      return 'No stream yet: the origin has nothing at this address (HTTP 404). Is the channel running and receiving video?';
    }
    if (status === 403) {
      return 'The origin refused the request (HTTP 403). Through CloudFront this means its CDN authorization does not match MediaPackage\'s.';
    }
    if (status >= 500) return `The origin failed to answer (HTTP ${status}).`;
    if (!status) return 'The stream could not be reached: the network failed or the origin does not allow this page to read it (CORS).';
    return `The origin answered HTTP ${status}.`;
  }

  // The first line of an engine's own explanation, short enough to show.
  function briefly(reason) {
    const line = String(reason || '').split('\n')[0].trim();
    return line.length > 160 ? `${line.slice(0, 157)}…` : line;
  }

  // What a fatal hls.js error means, in words. Only a request that got no
  // answer at all is a network (or CORS) failure: an answer that took too
  // long, a playlist that cannot be used and media the browser cannot
  // decode are each said as what they are.
  function hlsTrouble(data) {
    const Details = window.Hls.ErrorDetails;
    // A playlist that failed to parse came with its 200: only a status
    // outside 2xx is the origin's refusal.
    const status = data.response?.code;
    if (status && (status < 200 || status > 299)) return httpTrouble(status);
    const reason = briefly(data.reason || data.error?.message);
    switch (data.details) {
      case Details.MANIFEST_LOAD_TIMEOUT:
      case Details.LEVEL_LOAD_TIMEOUT:
      case Details.AUDIO_TRACK_LOAD_TIMEOUT:
      case Details.FRAG_LOAD_TIMEOUT:
      case Details.KEY_LOAD_TIMEOUT:
        return `The origin did not answer in time (${data.details}).`;
      case Details.MANIFEST_PARSING_ERROR:
      case Details.LEVEL_PARSING_ERROR:
      case Details.LEVEL_EMPTY_ERROR:
      case Details.PLAYLIST_UNCHANGED_ERROR:
      case Details.MANIFEST_INCOMPATIBLE_CODECS_ERROR:
        return `The playlist could not be used (${data.details}${reason ? `: ${reason}` : ''}).`;
      case Details.MANIFEST_LOAD_ERROR:
      case Details.LEVEL_LOAD_ERROR:
      case Details.AUDIO_TRACK_LOAD_ERROR:
      case Details.FRAG_LOAD_ERROR:
      case Details.KEY_LOAD_ERROR:
        return httpTrouble(0);
      default:
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
          return `The browser could not play the stream's media (${data.details}).`;
        }
        return `The stream stopped (${data.type}: ${data.details}${reason ? `, ${reason}` : ''}).`;
    }
  }

  // The same for dash.js (Smooth Streaming too): an error with an HTTP
  // status is the origin's answer, a download that got none is the network
  // or CORS, anything else is said with dash.js's own code and message.
  function dashTrouble(error) {
    const codes = window.dashjs.MediaPlayer.errors || {};
    const status = error.data?.request?.status ?? error.data?.response?.status;
    if (status && (status < 200 || status > 299)) return httpTrouble(status);
    switch (error.code) {
      case codes.MANIFEST_LOADER_PARSING_FAILURE_ERROR_CODE:
        return 'The manifest at this address could not be read: it is not a stream of the chosen format.';
      case codes.DOWNLOAD_ERROR_ID_MANIFEST_CODE:
      case codes.DOWNLOAD_ERROR_ID_CONTENT_CODE:
      case codes.DOWNLOAD_ERROR_ID_INITIALIZATION_CODE:
      case codes.DOWNLOAD_ERROR_ID_SIDX_CODE:
        return httpTrouble(0);
      default: {
        const reason = briefly(error.message);
        return `The stream stopped (dash.js error ${error.code}${reason ? `: ${reason}` : ''}).`;
      }
    }
  }

  function showRendition(width, height, bitsPerSecond) {
    if (!width || !height) return;
    const kbps = Math.round((bitsPerSecond || 0) / 1000);
    ui.rendition.textContent = kbps ? `${width}×${height} at ${kbps.toLocaleString('en')} kbit/s` : `${width}×${height}`;
    ui.rendition.dataset.width = String(width);
    ui.rendition.dataset.height = String(height);
    ui.rendition.dataset.bitrate = String(bitsPerSecond || 0);
  }

  function showBuffer() {
    const t = video.currentTime;
    let ahead = 0;
    for (let i = 0; i < video.buffered.length; i += 1) {
      if (video.buffered.start(i) <= t + 0.1 && t <= video.buffered.end(i)) {
        ahead = video.buffered.end(i) - t;
      }
    }
    ui.buffer.textContent = session ? `${ahead.toFixed(1)} s ahead` : '–';
    ui.buffer.dataset.seconds = ahead.toFixed(3);
    showLatency();
  }

  // How far behind the live edge the picture is: the engine's own figure
  // (hls.js and dash.js measure it from the playlist or the manifest's
  // clock), else the distance to the end of what may be seeked to.
  function showLatency() {
    // A recording has no live edge: its place in the recording instead.
    ui.latencyLabel.textContent = session?.key === 'recording' ? 'Position' : 'Live edge';
    if (session?.key === 'recording') {
      const at = Number.isFinite(video.duration) && video.duration > 0
        ? `${video.currentTime.toFixed(0)} of ${video.duration.toFixed(0)} s`
        : '–';
      ui.latency.textContent = at;
      delete ui.latency.dataset.seconds;
      return;
    }
    let seconds = session?.latency?.();
    if (!Number.isFinite(seconds) && session && video.seekable.length > 0) {
      seconds = video.seekable.end(video.seekable.length - 1) - video.currentTime;
    }
    if (!session || !Number.isFinite(seconds) || video.currentTime === 0) {
      ui.latency.textContent = '–';
      delete ui.latency.dataset.seconds;
      return;
    }
    ui.latency.textContent = `${Math.max(0, seconds).toFixed(1)} s behind live`;
    ui.latency.dataset.seconds = Math.max(0, seconds).toFixed(3);
  }

  function retryLater(start) {
    if (session) session.retry = setTimeout(() => start(), RETRY_MS);
  }

  function playHls(url, current) {
    if (!window.Hls.isSupported()) {
      if (video.canPlayType('application/vnd.apple.mpegurl')) {
        // Safari without Media Source Extensions plays HLS itself.
        video.src = url;
        current.destroy = () => video.removeAttribute('src');
        return;
      }
      say('This browser can play neither HLS nor Media Source Extensions.');
      return;
    }
    const hls = new window.Hls({ liveDurationInfinity: true, lowLatencyMode: current.key === 'llhls' });
    current.destroy = () => hls.destroy();
    current.latency = () => hls.latency;
    let mediaRecoveries = 0;
    hls.on(window.Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      const level = hls.levels[data.level];
      if (level) showRendition(level.width, level.height, level.bitrate);
    });
    hls.on(window.Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
        mediaRecoveries += 1;
        hls.recoverMediaError();
        return;
      }
      // The whole story for the browser's console (the page shows one line).
      console.error('hls.js fatal error', data.type, data.details, data.reason || data.error?.message || '');
      // A live stream that failed may come back (an encoder restarted, a
      // playlist caught up): say what happened and start again.
      say(`${hlsTrouble(data)} Trying again every ${RETRY_MS / 1000} s.`);
      hls.destroy();
      retryLater(() => start(current.key, current.url));
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function playDash(url, current) {
    const dashjs = window.dashjs;
    const player = dashjs.MediaPlayer().create();
    current.destroy = () => player.destroy();
    // A Smooth manifest gives no wall clock to measure from (dash.js then
    // reports decades): its distance is read from the seekable range.
    if (current.engine === 'dash') current.latency = () => player.getCurrentLiveLatency();
    player.updateSettings({
      streaming: {
        // The clock comes from the origin's own Date header, not from a
        // third-party time server (dash.js's default).
        utcSynchronization: {
          defaultTimingSource: { scheme: 'urn:mpeg:dash:utc:http-head:2014', value: url },
        },
      },
    });
    player.on(dashjs.MediaPlayer.events.QUALITY_CHANGE_RENDERED, (event) => {
      const rep = event.newRepresentation;
      if (event.mediaType === 'video' && rep) showRendition(rep.width, rep.height, rep.bandwidth);
    });
    player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
      const rep = player.getCurrentRepresentationForType('video');
      if (rep) showRendition(rep.width, rep.height, rep.bandwidth);
    });
    player.on(dashjs.MediaPlayer.events.ERROR, (event) => {
      const error = event.error || {};
      const codes = dashjs.MediaPlayer.errors || {};
      if (error.code === codes.MEDIASOURCE_TYPE_UNSUPPORTED_CODE) {
        say('This browser cannot decode the stream\'s codecs.');
        return;
      }
      console.error('dash.js error', error.code, error.message || '');
      say(`${dashTrouble(error)} Trying again every ${RETRY_MS / 1000} s.`);
      player.reset();
      retryLater(() => start(current.key, current.url));
    });
    player.initialize(video, url, true);
  }

  // Plays the format `key` of the live stream, or (key 'recording') the
  // recording at `url`.
  async function start(key, url = config[key]) {
    stop();
    const current = { key, url, destroy: () => {}, latency: null, retry: null };
    session = current;
    for (const button of ui.choices.querySelectorAll('button')) {
      button.setAttribute('aria-pressed', String(button.dataset.key === key));
    }
    for (const button of ui.recordingList.querySelectorAll('button')) {
      button.setAttribute('aria-pressed', String(key === 'recording' && button.dataset.url === url));
    }
    const format = FORMATS.find((f) => f.key === key) || { key, label: 'Recording' };
    ui.format.textContent = format.label;
    ui.rendition.textContent = '–';
    delete ui.rendition.dataset.width;
    say('Loading the stream…', 'info');
    const engine = engineFor(url);
    if (!engine) {
      say(`The ${format.label} URL does not name a manifest this player knows (.m3u8, .mpd or Smooth Streaming's /Manifest).`);
      return;
    }
    // Protected playback: without the viewer's cookies CloudFront answers
    // 403; then the page asks for the passcode instead of retrying.
    if (config.auth && !(await admitted(url))) {
      if (session === current) askPasscode(() => start(key, url));
      return;
    }
    if (session !== current) return;
    try {
      if (engine === 'hls') {
        await loadScript('hls.min.js');
      } else {
        await loadScript('dash.all.min.js');
        if (engine === 'mss') await loadScript('dash.mss.min.js');
      }
    } catch (err) {
      say(err.message);
      return;
    }
    if (session !== current) return;
    current.engine = engine;
    if (engine === 'hls') playHls(url, current);
    else playDash(url, current);
  }

  function stop() {
    if (!session) return;
    clearTimeout(session.retry);
    session.destroy();
    session = null;
  }

  let config = {};

  // Whether the viewer's cookies (if any) open `url`: only a 403 says no;
  // anything else is for the player to meet and explain.
  async function admitted(url) {
    try {
      const response = await fetch(url, { cache: 'no-store' });
      return response.status !== 403;
    } catch {
      return true;
    }
  }

  // SHA-256 of `text`, in hex: CloudFront's origin access control signs a
  // POST to the cookie issuer's function URL with the hash the viewer sends
  // in x-amz-content-sha256 (CloudFront developer guide, "Restrict access
  // to an AWS Lambda function URL origin").
  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  // Shows the passcode form; a passcode the issuer takes sets the cookies,
  // and `then` plays.
  function askPasscode(then) {
    say('This stream is for invited viewers: enter the passcode to watch.', 'info');
    ui.passcodeForm.hidden = false;
    ui.passcode.focus();
    ui.passcodeForm.onsubmit = async (event) => {
      event.preventDefault();
      const body = JSON.stringify({ passcode: ui.passcode.value });
      let response;
      try {
        response = await fetch(config.auth, {
          method: 'POST',
          cache: 'no-store',
          headers: { 'content-type': 'application/json', 'x-amz-content-sha256': await sha256Hex(body) },
          body,
        });
      } catch {
        say('The passcode could not be sent: the network failed.');
        return;
      }
      if (response.ok) {
        ui.passcode.value = '';
        ui.passcodeForm.hidden = true;
        say('');
        then();
      } else if (response.status === 403) {
        say('That passcode did not let you in. Check it and try again.');
      } else if (response.status === 429) {
        say('Too many tries from this network. Wait a few minutes, then try again.');
      } else {
        say(`Signing in failed (HTTP ${response.status}).`);
      }
    };
  }

  // "5 Dec 2026, 14:03 · 1 h 05 min" (or "· 40 s"): a recording as the
  // list shows it.
  function recordingWords(recording) {
    const started = new Date(recording.runStarted);
    const when = Number.isNaN(started.getTime())
      ? recording.runStarted
      : started.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    const seconds = Math.round(Number(recording.durationSeconds) || 0);
    const minutes = Math.round(seconds / 60);
    const length = seconds < 60
      ? `${seconds} s`
      : minutes >= 60 ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min` : `${minutes} min`;
    const part = recording.part > 1 ? ` · part ${recording.part}` : '';
    return `${when} · ${length}${part}`;
  }

  // The recordings of this stack's (or this event's) runs, newest first,
  // from the list at `url` (its paths are from the same site's root).
  async function listRecordings(url, channel) {
    if (typeof url !== 'string' || !url) return;
    let list;
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (!response.ok) return; // nothing recorded yet
      list = await response.json();
    } catch {
      return;
    }
    const recordings = (Array.isArray(list?.recordings) ? list.recordings : [])
      .filter((r) => typeof r?.hls === 'string' && (!channel || r.channel === channel));
    if (recordings.length === 0) return;
    for (const recording of recordings) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = recordingWords(recording);
      button.dataset.url = new URL(`/${recording.hls}`, new URL(url, location.href)).href;
      button.setAttribute('aria-pressed', 'false');
      button.addEventListener('click', () => start('recording', button.dataset.url));
      item.appendChild(button);
      ui.recordingList.appendChild(item);
    }
    ui.recordings.hidden = false;
  }

  // A foundation's page: its events list themselves in <folder>index.json,
  // each with its own <folder><event>/config.json. Offers them; plays the
  // one in ?event= (or the first), whose settings it returns.
  async function chooseEvent(folder) {
    const fetchJson = async (path) => {
      try {
        const response = await fetch(path, { cache: 'no-store' });
        return response.ok ? await response.json() : null;
      } catch {
        return null;
      }
    };
    const list = await fetchJson(`${folder}index.json`);
    const names = Array.isArray(list?.events) ? list.events.filter((e) => typeof e === 'string') : [];
    // Every event's settings at once; one that is gone meanwhile is left out.
    const fetched = await Promise.all(
      names.map(async (name) => ({ name, settings: await fetchJson(`${folder}${encodeURIComponent(name)}/config.json`) })),
    );
    const events = fetched.filter((e) => e.settings);
    if (events.length === 0) {
      say('No live event yet: each event appears here once its stack is created.', 'info');
      return null;
    }
    const asked = new URLSearchParams(location.search).get('event');
    const chosen = events.find((e) => e.name === asked) || events[0];
    for (const event of events) {
      const option = document.createElement('option');
      option.value = event.name;
      option.textContent = event.settings.event || event.name;
      option.selected = event === chosen;
      ui.events.appendChild(option);
    }
    ui.events.addEventListener('change', () => {
      const query = new URLSearchParams(location.search);
      query.set('event', ui.events.value);
      location.search = query.toString();
    });
    ui.eventPicker.hidden = false;
    document.title = `${chosen.settings.event || chosen.name} – Live stream`;
    return { ...chosen.settings, name: chosen.name };
  }

  async function main() {
    let response;
    try {
      response = await fetch('config.json', { cache: 'no-store' });
    } catch {
      say('The player\'s settings (config.json) could not be loaded.');
      return;
    }
    if (!response.ok) {
      say(`The player's settings (config.json) could not be loaded (HTTP ${response.status}).`);
      return;
    }
    try {
      config = await response.json();
    } catch {
      say('The player\'s settings (config.json) are not valid JSON.');
      return;
    }
    if (typeof config.events === 'string') {
      // A foundation's page: each event's passcode goes to /auth/<event>.
      const auth = typeof config.auth === 'string' ? config.auth : '';
      config = await chooseEvent(config.events);
      if (!config) return;
      config.auth = auth ? `${auth}${encodeURIComponent(config.name)}` : '';
    }
    const offered = FORMATS.filter((f) => typeof config[f.key] === 'string' && config[f.key]);
    if (offered.length === 0) {
      say('No playback URL is configured.');
      return;
    }
    if (offered.length > 1) {
      for (const format of offered) {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = format.label;
        button.dataset.key = format.key;
        button.setAttribute('aria-pressed', 'false');
        button.addEventListener('click', () => start(format.key));
        ui.choices.appendChild(button);
      }
      ui.choices.hidden = false;
    }
    const asked = new URLSearchParams(location.search).get('format');
    start(offered.some((f) => f.key === asked) ? asked : offered[0].key);
    listRecordings(config.recordings, config.recordingsOf);
  }

  video.addEventListener('playing', () => {
    if (ui.message.dataset.tone === 'info') say('');
  });
  video.addEventListener('waiting', () => {
    if (session && video.currentTime > 0) say('Waiting for more of the stream…', 'info');
  });
  video.addEventListener('loadedmetadata', () => {
    // A stream without a level list (native HLS) still shows its size.
    if (!ui.rendition.dataset.width) showRendition(video.videoWidth, video.videoHeight, 0);
  });
  setInterval(showBuffer, 500);
  main();
})();
