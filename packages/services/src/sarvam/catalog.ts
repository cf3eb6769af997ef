/** What Sarvam's models and speakers are: its API lists neither, so a check compares with these. */

/**
 * Sarvam's TTS speakers, a fixed set per model, lower case
 * (https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream, `speaker`; the same lists are
 * in the `sarvamai` SDK's documentation of `TextToSpeechRequest.speaker`).
 */
export const SARVAM_TTS_SPEAKERS: Readonly<Record<string, readonly string[]>> = {
  'bulbul:v2': ['anushka', 'manisha', 'vidya', 'arya', 'abhilash', 'karun', 'hitesh'],
  'bulbul:v3': [
    'shubh',
    'aditya',
    'ritu',
    'priya',
    'neha',
    'rahul',
    'pooja',
    'rohan',
    'simran',
    'kavya',
    'amit',
    'dev',
    'ishita',
    'shreya',
    'ratan',
    'varun',
    'manan',
    'sumit',
    'roopa',
    'kabir',
    'aayan',
    'ashutosh',
    'advait',
    'anand',
    'tanya',
    'tarun',
    'sunny',
    'mani',
    'gokul',
    'vijay',
    'shruti',
    'suhani',
    'mohit',
    'kavitha',
    'rehan',
    'soham',
    'rupali',
  ],
};

/**
 * Sarvam's streaming STT models (https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws):
 * the SDK's `saaras:v3` and `saaras:v4`, and the legacy `saarika:v2.5` the API still accepts.
 */
export const SARVAM_STT_MODELS: readonly string[] = ['saaras:v3', 'saaras:v4', 'saarika:v2.5'];
