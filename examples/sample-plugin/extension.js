// @ts-check
// The sample plugin of docs/plugins.md. CommonJS; `recon-daemon` is provided by the plugin host.
const fs = require('node:fs/promises');
const path = require('node:path');
const recon = require('recon-daemon');

let greetings = 0;

/**
 * Called once, on the first activation event (here: the first run of sample.hello, or of the exporter).
 * @param {import('recon-daemon').PluginContext} context
 */
function activate(context) {
  context.logger.info(`sample plugin activated by ${context.activationEvent}`);

  context.subscriptions.push(
    // A command: clients run it with commands.execute {command: "sample.hello", args: ["Ana"]}.
    recon.commands.registerCommand('sample.hello', (name = 'world') => {
      greetings++;
      recon.window.showMessage(`Hello, ${name}!`);
      return { greeting: `Hello, ${name}!`, greetings };
    }),

    // An exporter: jobs ask for it with options.exporters: ["sample.summary"] (or --export sample.summary).
    recon.exporters.register('sample.summary', async (result, outDir) => {
      const p = result.pose;
      const lines = [
        `source: ${result.source}`,
        `faces: ${result.faces}`,
        `verdict: ${result.verdict ?? 'unknown'}`,
        p ? `pose: yaw ${p.yaw.toFixed(1)}°, pitch ${p.pitch.toFixed(1)}°, roll ${p.roll.toFixed(1)}°` : 'pose: none',
        `outputs: ${Object.keys(result.files).sort().join(', ')}`,
      ];
      const file = path.join(outDir, 'summary.txt');
      await fs.writeFile(file, lines.join('\n') + '\n');
      return [file]; // the files written, so they are listed in job.completed
    }),
  );
}

/** Called on reload and shutdown; context.subscriptions are disposed right after. */
function deactivate() {
  greetings = 0;
}

module.exports = { activate, deactivate };
