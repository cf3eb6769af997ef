const cpu = process.cpuUsage();
const t = performance.now();
await import('@parley/services');
const used = process.cpuUsage(cpu);
console.log(`import @parley/services: ${(performance.now() - t).toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU`);
