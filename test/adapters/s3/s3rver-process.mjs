// Runs s3rver, a real S3-protocol server, in a process of its own: `node --openssl-legacy-provider
// s3rver-process.mjs <directory>`. It listens on a free port of 127.0.0.1, writes `{"port":N}` on
// one stdout line once it listens, and stops on SIGTERM. (s3rver encrypts continuation tokens
// with DES, which Node's OpenSSL 3 only offers through its legacy provider: without the flag, any
// list that spans several pages fails.)
import S3rver from "s3rver";

const directory = process.argv[2];
if (!directory) throw new Error("usage: s3rver-process.mjs <directory>");
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on("SIGTERM", () => {
  server.close().then(() => process.exit(0));
});
