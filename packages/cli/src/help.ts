/** The texts `--help` adds below commander's lists: settings, exit codes, examples. */
import { DEFAULT_MODEL_KEY } from './model-option.js';

/** Below the main `genimix --help`. */
export const MAIN_HELP = `
Environment:
  GENIMIX_API_KEY     your project's API key (Genimix dashboard → API Keys); required for every
                      command but models. Read from the environment only, never shown.
  GENIMIX_PROJECT_ID  the project (dashboard → Settings); --project overrides it
  GENIMIX_BASE_URL    the API's address (default https://api.genimix.dev); --base-url overrides it
  GENIMIX_LOG=debug   one line per HTTP attempt on stderr (never the key)

Output:
  stdout carries results only: a line per result, or with --json one JSON object per result
  (with -o -, the image bytes, and the result goes to stderr). Progress goes to stderr, and only
  when stderr is a terminal (never with --quiet or --json). With --json an error is one JSON
  object on stderr: {"error":{"name","message","exitCode","status","requestId","setting"}}.

Exit codes:
  0    success
  1    Genimix or the network failed (error status, no answer, a broken answer), a file (or
       stdout) could not be written, or a batch line failed
  2    bad usage or input: nothing was sent (the message names the flag or variable to fix)
  130  interrupted by Ctrl-C (143: SIGTERM; 129: SIGHUP, the terminal closed)

Examples:
  export GENIMIX_API_KEY=sk_...  GENIMIX_PROJECT_ID=my-project
  genimix generate "A lighthouse at dusk, oil painting" --id lighthouse -o lighthouse.png
  genimix generate --from prompts.txt --out-dir images --concurrency 4
  genimix get lighthouse -o - | convert - -resize 50% small.png
  genimix upload photo.jpg --id holiday-1 --json
  genimix models
`;

/** Below `genimix generate --help`. */
export const GENERATE_HELP = `
One image: generates it (billed), downloads it and writes it to -o (default <id>.<ext> here).
The id is --id, or a new img-<uuid>. Everything is checked before the Generate is sent.

A batch (--from): one image per line of a UTF-8 file (- for stdin); blank lines and lines starting
with # are skipped, and a prompt repeated is generated once. Each image is written to
--out-dir as <id>.<ext>, where the id is derived from the model and the prompt:
  <slug of the prompt>-<first 16 hex digits of SHA-256("<provider>/<modelId>\\n<prompt>")>
so a re-run finds what an earlier run made: a file already there is skipped with no request;
an image Genimix already has is fetched with a free Get; only the rest is generated. An
interrupted or failed batch therefore resumes without paying twice: run the same command
again. Ctrl-C once: no new line starts, Generates in flight finish and are written, then the
summary (exit 130); Ctrl-C twice: cancel them now. Exit 1 when a line failed (the others are
kept), with the failed lines listed.

Models: --model provider/modelId (default ${DEFAULT_MODEL_KEY}); genimix models lists them.

Examples:
  genimix generate "A red fox in the snow"
  genimix generate "A red fox in the snow" --model openai/dall-e-3 --id fox -o fox.png
  genimix generate "A red fox in the snow" -o - > fox.png
  genimix generate "A red fox in the snow" --json | jq -r .file
  genimix generate --from prompts.txt --out-dir images
  genimix generate --from - --out-dir images --concurrency 8 < prompts.txt
`;

/** Below `genimix get --help`. */
export const GET_HELP = `
Downloads image ID (free) and writes it to -o (default <ID>.<ext> here; - for stdout). The file
is written whole or not at all.

Examples:
  genimix get fox
  genimix get fox -o images/fox.png
  genimix get fox -o - | sha256sum
  genimix get fox --project other-project --json
`;

/** Below `genimix upload --help`. */
export const UPLOAD_HELP = `
Uploads a PNG, JPEG, WebP or GIF (at most 50 MiB) as image --id (default a new img-<uuid>),
replacing any image with that id. The file is streamed, never read whole; - reads stdin (sent as
it is read, so not retried).

Examples:
  genimix upload photo.jpg --id holiday-1
  curl -s https://example.com/cat.png | genimix upload - --id cat
  genimix upload scan.png --json | jq -r .imageUrl
`;

/** Below `genimix delete --help`. */
export const DELETE_HELP = `
Deletes image ID from the project. A missing image is exit 1 (Genimix answers 404).

Examples:
  genimix delete fox
  genimix delete fox --project other-project
`;

/** Below `genimix models --help`. */
export const MODELS_HELP = `
The models of the Genimix catalog, for --model (provider/modelId). The server decides what a
plan may use: a model not listed is still sent as given. Needs no key.

Examples:
  genimix models
  genimix models --json | jq -r 'select(.available) | .model'
`;
