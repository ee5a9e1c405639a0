/** The usage text of `steplab` itself (kept apart so printing it loads nothing else). */
export const MAIN_USAGE = `Usage:
  steplab FLOW.ts [COMMAND] [OPTIONS]     run a flow file's command (default: check)
  steplab convert NOTEBOOK.ipynb [-o FLOW.ts] | FLOW.ts [-o NOTEBOOK.ipynb]
  steplab repl [NOTEBOOK.ipynb]           the terminal REPL
  steplab kernel install [--user|--sys-prefix|--prefix DIR]
  steplab runs [FLOW] [--limit N]         recent runs with status, duration and size
  steplab gc [FLOW] (--keep-last N | --older-than 30d) [--keep-tag T] [--dry-run]
                                          delete old runs and the artifacts only they used
  steplab gc --compact                    give an LMDB datastore's freed space back to the disk
  steplab cards [--port N]                serve the cards of recent runs on 127.0.0.1 (default port 8324)
  steplab worker [--concurrency N]        run tasks sent by \`run --with queue\` (Redis, S3, PostgreSQL)
  steplab help | --help

Flow commands: check, show, run, resume, spin, logs, dump, card, argo-workflows, help.
Datastore: STEPLAB_DATASTORE, else the nearest .steplab/ from here upwards, else ./.steplab;
  STEPLAB_DATASTORE=s3://BUCKET/PREFIX reads a remote datastore (with STEPLAB_DB_URL, STEPLAB_S3_ENDPOINT,
  AWS credentials, or steplab.config.json)
`;
