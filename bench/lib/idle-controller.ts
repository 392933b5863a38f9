/** Loads what the controller process loads, says `ready`, and idles: the RSS floor for bench controller. */
await import('../../src/controller/controller.ts');
await import('../../src/kube/client.ts');
process.stdout.write('ready\n');
setInterval(() => undefined, 1_000);
