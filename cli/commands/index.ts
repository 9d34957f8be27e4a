/** Subcommands in the order `kefu --help` lists them. Add one line per new command file. */
import type { Command } from 'commander';
import { register as config } from './config.ts';
import { register as model } from './model.ts';

export const commands: Array<(program: Command) => void> = [config, model];
