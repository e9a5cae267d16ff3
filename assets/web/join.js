// Joins an Allverse event (a Janus VideoRoom) from a browser: publishes the camera
// and microphone under "Name (CHANNEL)", and speaks Allverse's data-channel format
// (chat and a heartbeat every second, so a closed tab is noticed within seconds).
// Fields can be filled from the address: ?server=…&room=…&name=…&channel=…&video=0&join=1
// (a PIN or token never belongs in an address: type them in the form).
"use strict";

const HEARTBEAT_MS = 1000;
const form = document.getElementById("form");
const statusLine = document.getElementById("status");
let handle = null;

function say(text) {
  statusLine.textContent = text;
}

// The display name others see; interpreters carry their channel in brackets.
function displayName(fields) {
  const name = fields.name.trim();
  const channel = fields.channel.trim();
  return channel ? `${name} (${channel})` : name;
}

function fieldsFromForm() {
  const value = (id) => document.getElementById(id).value;
  return {
    server: value("server").trim(),
    room: Number(value("room")),
    name: value("name"),
    channel: value("channel"),
    pin: value("pin"),
    token: value("token"),
    video: document.getElementById("video").checked,
  };
}

function fillFromAddress() {
  const params = new URLSearchParams(window.location.search);
  for (const id of ["server", "room", "name", "channel"]) {
    if (params.has(id)) document.getElementById(id).value = params.get(id);
  }
  if (params.get("video") === "0") document.getElementById("video").checked = false;
  return params.get("join") === "1";
}

function publish(fields) {
  const tracks = [{ type: "audio", capture: true, recv: false }, { type: "data" }];
  if (fields.video) tracks.push({ type: "video", capture: true, recv: false });
  handle.createOffer({
    tracks,
    success: (jsep) => {
      handle.send({ message: { request: "publish", audio: true, video: fields.video, data: true }, jsep });
    },
    error: (error) => say(`Your camera or microphone cannot be used: ${error.message || error}`),
  });
}

function startHeartbeat() {
  setInterval(() => handle && handle.data({ text: JSON.stringify({ heartbeat: true }) }), HEARTBEAT_MS);
}

function join(fields) {
  if (!fields.server || !fields.room || !fields.name.trim()) {
    say("Fill in the event server, the room number and your name.");
    return;
  }
  say(`Joining room ${fields.room}…`);
  const janus = new Janus({
    server: fields.server,
    iceServers: [],
    success: () => janus.attach({
      plugin: "janus.plugin.videoroom",
      success: (pluginHandle) => {
        handle = pluginHandle;
        const message = { request: "join", ptype: "publisher", room: fields.room, display: displayName(fields) };
        if (fields.pin) message.pin = fields.pin;
        if (fields.token) message.token = fields.token;
        handle.send({ message });
      },
      onmessage: (message, jsep) => {
        if (message.videoroom === "joined") {
          say(`In room ${fields.room} as ${displayName(fields)}. Connecting your camera and microphone…`);
          publish(fields);
        } else if (message.error) {
          say(`Not let in: ${message.error}`);
        }
        if (jsep) handle.handleRemoteJsep({ jsep });
      },
      webrtcState: (up) => {
        document.getElementById("live").style.display = up ? "block" : "none";
        say(up ? `In room ${fields.room}: others see and hear you.` : "Your connection to the room was lost.");
      },
      onlocaltrack: (track, added) => {
        if (track.kind === "video" && added) {
          document.getElementById("self").srcObject = new MediaStream([track]);
        }
      },
      ondataopen: startHeartbeat,
      error: (error) => say(`The room cannot be joined: ${error}`),
    }),
    error: (error) => say(`The event server cannot be reached: ${error}. Check the address and try again.`),
    destroyed: () => say("You have left the room."),
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  join(fieldsFromForm());
});

document.getElementById("chat").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("message");
  if (handle && input.value.trim()) {
    handle.data({ text: JSON.stringify({ chat: input.value.trim() }) });
    input.value = "";
  }
});

Janus.init({
  debug: false,
  callback: () => {
    if (!Janus.isWebrtcSupported()) {
      say("This browser cannot send video calls; try a current Firefox or Chromium.");
    } else if (fillFromAddress()) {
      join(fieldsFromForm());
    }
  },
});
