import { Command } from 'commander';
import { integerArg } from '../options.js';

/**
 * `ndaflow evaluate ood --run RUN_DIR --in TEST_SHARDS --ood NAME=SHARDS ...`: the paper's OOD
 * protocol on a GAN run's discriminator (see `evaluateOodRun`), AUROCs printed and recorded in the
 * run folder (`ood.json`, `eval.jsonl`).
 */
export function evaluateCommand(): Command {
  const ood = new Command('ood')
    .description("the paper's OOD protocol: AUROC of D's logit, test images vs each OOD set and vs NDA'd test images")
    .requiredOption('--run <dir>', 'the GAN run folder (config.json and checkpoints)')
    .requiredOption('--in <shards>', 'the in-distribution test shards')
    .option(
      '--ood <name=shards>',
      'an OOD set (repeatable), e.g. svhn=shards/svhn/test-000000.tar',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--limit <n>', 'at most N images of each set (default: 10000)', integerArg(1))
    .option('--backend <name>', 'tensorflow-gpu|tensorflow|wasm|cpu (default: the best available)')
    .option('--seed <n>', "seed of the NDA'd sets (default: 0)", integerArg(0, 2 ** 32 - 1))
    .action(
      async (flags: { run: string; in: string; ood: string[]; limit?: number; backend?: string; seed?: number }) => {
        const sets: Record<string, string> = {};
        for (const item of flags.ood) {
          const at = item.indexOf('=');
          if (at <= 0 || at === item.length - 1)
            throw new RangeError(
              `Cannot read --ood as it must be NAME=SHARDS: current value is ${JSON.stringify(item)}`,
            );
          sets[item.slice(0, at)] = item.slice(at + 1);
        }
        const { evaluateOodRun } = await import('../../pipelines/internal/evaluate-ood.js');
        await evaluateOodRun(flags.run, {
          in: flags.in,
          ood: sets,
          ...(flags.limit === undefined ? {} : { limit: flags.limit }),
          ...(flags.backend === undefined ? {} : { backend: flags.backend }),
          ...(flags.seed === undefined ? {} : { seed: flags.seed }),
          log: (line) => process.stdout.write(`${line}\n`),
        });
      },
    );
  return new Command('evaluate').description('evaluate a trained run').addCommand(ood);
}
