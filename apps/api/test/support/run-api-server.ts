// Runs the API role as its own process, the way `condasync api` does, for the shutdown tests.
// It prints the listening URL on stderr; the JSON log goes to stdout.
import { startApiServer } from '../../src/index.ts';

const server = await startApiServer(process.env);
process.stderr.write(`listening ${server.url}\n`);
