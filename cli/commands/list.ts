import { Command } from 'commander';

/** `ndaflow list`: the registered pipelines, one per line (`--json`: one JSON array). */
export function listCommand(): Command {
  return new Command('list')
    .description('list the registered pipelines')
    .option('--json', 'print a JSON array of {name, description, aliases}', false)
    .action(async (flags: { json: boolean }) => {
      const { listPipelines } = await import('../../pipelines/registry.js');
      const pipelines = listPipelines();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(pipelines)}\n`);
        return;
      }
      const width = Math.max(...pipelines.map((p) => p.name.length));
      for (const p of pipelines) {
        const aliases = p.aliases.length > 0 ? ` (also: ${p.aliases.join(', ')})` : '';
        process.stdout.write(`${p.name.padEnd(width)}  ${p.description}${aliases}\n`);
      }
    });
}
