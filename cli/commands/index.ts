/** Subcommands in the order `kefu --help` lists them. Add one line per new command file. */
import type { Command } from 'commander';
import { register as ask } from './ask.ts';
import { register as config } from './config.ts';
import { register as docs } from './docs.ts';
import { register as evaluate } from './eval.ts';
import { register as ingest } from './ingest.ts';
import { register as intents } from './intents.ts';
import { register as model } from './model.ts';
import { register as serve } from './serve.ts';
import { register as tickets } from './tickets.ts';
import { register as watch } from './watch.ts';

export const commands: Array<(program: Command) => void> = [serve, ingest, watch, docs, ask, tickets, intents, evaluate, config, model];
