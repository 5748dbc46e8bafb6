import { Command } from 'commander';
import { PipelineError } from '../../pipelines/pipeline-error.js';
import type { Pipeline, PipelineResult } from '../../pipelines/pipeline.js';
import { pipelineCommand, progressEnabled, readPipelineArgs } from '../options.js';
import { onInterrupt } from '../interrupt.js';
import { startProgress } from '../progress.js';

const perSecond = (n: number, seconds: number): number => Math.round((n / Math.max(seconds, 1e-9)) * 10) / 10;

/** The pipeline a `run` argument names: a registered name or alias, or a module file (`./my-pipeline.js`). */
async function pipelineNamed(name: string): Promise<Pipeline> {
  // loaded here, not at start-up: pipelines pull in sharp, which `prepare` and `inspect` don't need
  const { isPipelinePath, loadPipelineFile } = await import('../../pipelines/load-pipeline-file.js');
  if (isPipelinePath(name)) return loadPipelineFile(name);
  const { findPipeline } = await import('../../pipelines/registry.js');
  return findPipeline(name);
}

/**
 * `ndaflow run [NAME|FILE] [options]`: runs a registered pipeline (`default` without a name) or a
 * user's pipeline module (`ndaflow run ./my-pipeline.js`, its default export declared with
 * `definePipeline`), and prints its headline results (`results: fid 376.742, kid 23.0262, kidStd
 * 0.7281`: FID/KID, AUROCs, probe accuracy), the loader's accounting and the throughput (samples/s,
 * batches/s); `--json` prints one JSON object. The options are the pipeline's own, as it declares them:
 * `ndaflow run NAME --help` lists them with their types, defaults and help; an option it does not
 * take is an error naming those it does; a bad value is an error naming the option.
 * Ctrl-C (SIGINT) or SIGTERM stops the run cleanly (a training run keeps a checkpoint of the step it
 * stopped at, records `stopped early at step N` in `config.json` and the report, and resumes with
 * `--resume`) and still prints the accounting; a second signal kills (see `onInterrupt`). Exit code
 * 130 after SIGINT, 143 after SIGTERM, 1 when the run failed or samples were lost.
 */
export function runCommand(): Command {
  return new Command('run')
    .description(
      'run a registered pipeline (see `ndaflow list`) or a pipeline file (./my-pipeline.js) and print its accounting and throughput; `ndaflow run NAME --help` lists its options',
    )
    .usage('[NAME|FILE] [options]')
    .argument('[name]', 'pipeline name, or a module file whose default export is a definePipeline(...)', 'default')
    .argument('[options...]', "the pipeline's options (ndaflow run NAME --help)")
    .option(
      '--json',
      'print one JSON object: {pipeline, seed, accounting, samples, batches, seconds, samplesPerSecond, batchesPerSecond, aborted, results, details}',
      false,
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (nameArg: string, rest: string[], flags: { json: boolean }, command: Command) => {
      // `ndaflow run --steps 5`: no name, the default pipeline's options
      const named = !nameArg.startsWith('-');
      const name = named ? nameArg : 'default';
      const args = named ? rest : [nameArg, ...rest];
      const wantsHelp = args.includes('--help') || args.includes('-h');
      if (wantsHelp && !named) {
        const { listPipelines } = await import('../../pipelines/registry.js');
        process.stdout.write(
          `${command.helpInformation()}\nPipelines: ${listPipelines()
            .map((p) => p.name)
            .join(', ')}\n(ndaflow run NAME --help lists the options of one)\n`,
        );
        return;
      }
      const pipeline = await pipelineNamed(name);
      const cli = pipelineCommand(pipeline, `ndaflow run ${name}`);
      if (wantsHelp) {
        process.stdout.write(cli.helpInformation());
        return;
      }
      const input = readPipelineArgs(pipeline, cli, args);
      // checked here with the flags' names (`--steps must be ...`), before anything runs
      const { resolvePipelineOptions } = await import('../../pipelines/define-pipeline.js');
      resolvePipelineOptions(pipeline, input, 'flags');
      let progress = startProgress({ label: `run ${name}`, enabled: progressEnabled(command) });
      const interrupt = onInterrupt({ label: `run ${name}`, beforeExit: () => progress.stop() });
      let training = false;
      // A pipeline that trains reports steps: the sample count gives way to a step bar with losses and ETA.
      const onTrainingStep = (step: number, steps: number, detail: string) => {
        if (!training) {
          training = true;
          progress.stop();
          progress = startProgress({
            label: `train ${name}`,
            total: steps,
            unit: 'steps',
            printFirst: true,
            enabled: progressEnabled(command),
          });
        }
        progress.update(step, detail);
      };
      let result: PipelineResult;
      try {
        result = await pipeline.run(input, {
          onTrainingStep,
          log: (line) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`),
          signal: interrupt.signal,
          onProgress: (samples) => {
            if (!training) progress.update(samples);
          },
        });
      } catch (err) {
        progress.stop();
        if (err instanceof PipelineError)
          process.stderr.write(`ndaflow: accounting ${JSON.stringify(err.accounting)}\n`);
        throw err;
      } finally {
        progress.stop();
        // exit code 130 (SIGINT) / 143 (SIGTERM) when stopped by a signal, even after a clean stop
        interrupt.dispose();
      }
      const report = {
        pipeline: pipeline.name,
        seed: result.seed,
        accounting: result.accounting,
        samples: result.samples,
        batches: result.batches,
        seconds: Math.round(result.seconds * 1000) / 1000,
        samplesPerSecond: perSecond(result.samples, result.seconds),
        batchesPerSecond: perSecond(result.batches, result.seconds),
        aborted: result.aborted,
        ...(result.results !== undefined ? { results: result.results } : {}),
        ...(result.details !== undefined ? { details: result.details } : {}),
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(
          `pipeline: ${report.pipeline} (seed ${report.seed})${report.aborted ? ` (stopped early${typeof result.details?.['steps'] === 'number' ? ` at step ${result.details['steps']}` : ''}${interrupt.received !== undefined ? ` on ${interrupt.received}` : ''})` : ''}\n` +
            (result.results !== undefined && Object.keys(result.results).length > 0
              ? `results: ${Object.entries(result.results)
                  .map(([key, value]) => `${key} ${Math.round(value * 10_000) / 10_000}`)
                  .join(', ')}\n`
              : '') +
            `accounting: ${JSON.stringify(report.accounting)}\n` +
            `throughput: ${report.samples} samples, ${report.batches} batches in ${report.seconds} s: ${report.samplesPerSecond} samples/s, ${report.batchesPerSecond} batches/s\n` +
            Object.entries(result.details ?? {})
              .map(([key, value]) => `${key}: ${value}\n`)
              .join(''),
        );
      }
      if (result.accounting.lost !== 0) {
        process.stderr.write(
          `ndaflow: error: ${result.accounting.lost} sample(s) were lost (neither delivered nor skipped)\n`,
        );
        process.exitCode = 1;
      }
    });
}
