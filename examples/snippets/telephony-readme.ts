// The example of packages/telephony/README.md: `npx tsx examples/snippets/telephony-readme.ts`.
import {
  connectStreamTwiml,
  publicRequestUrl,
  TwilioSerializer,
  validateTwilioSignature,
} from '@parley/telephony';

// The voice webhook's answer: connect the call to our WebSocket, with custom parameters.
const streamUrl = publicRequestUrl('https://example.com', '/ws/twilio/support-bot', { websocket: true });
console.log(connectStreamTwiml({ url: streamUrl, parameters: { agentId: 'support-bot' } }));

// Twilio signs the WebSocket upgrade with the wss:// URL and no parameters.
console.log(
  validateTwilioSignature({
    authToken: 'test_token',
    signature: 'JRC3Z6EyI+uYo/b5hgSzBtrSeLk=',
    url: streamUrl,
  }),
); // true

// One serializer per call: Twilio's JSON in, events out; our audio, marks and clears out.
const serializer = new TwilioSerializer();
const start = serializer.parse(
  JSON.stringify({
    event: 'start',
    streamSid: 'MZ1',
    start: {
      streamSid: 'MZ1',
      accountSid: 'AC1',
      callSid: 'CA1',
      customParameters: { agentId: 'support-bot' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
  }),
);
console.log(start); // { type: 'start', streamId: 'MZ1', callId: 'CA1', customParameters: { agentId: … }, … }
const payload = Buffer.alloc(160, 0xff).toString('base64'); // 20 ms of µ-law silence
const media = serializer.parse(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload } }));
console.log(media.type === 'media' && media.audio.length); // 160 samples of 8 kHz PCM
console.log(serializer.encodeAudio(new Int16Array(160), 8000)); // {"event":"media","streamSid":"MZ1",…}
console.log(serializer.encodeMark('greeting-1'), serializer.encodeClear());
