/** Helpers for integration tests: real loopback servers, temp config files, polling, a small client. */
export { startEchoService } from '../../src/demo/echo-service.ts';
export type { EchoService, ReceivedRequest, AnythingReply } from '../../src/demo/echo-service.ts';
export { deadPort } from './ports.ts';
export { resettingServer } from './resetting-server.ts';
export { slowServer } from './slow-server.ts';
export type { TestServer } from './listen.ts';
export { certificateAuthority, selfSignedCert, type IssuedCert, type SelfSignedCert, type TestCertificateAuthority } from './tls.ts';
export { writeConfig, type WrittenConfig } from './config-files.ts';
export { makeTempDir } from './temp-dir.ts';
export { waitFor, WaitForTimeoutError, type WaitForOptions } from './wait-for.ts';
export { requestVia, testAgent, type RequestViaOptions, type ViaResponse } from './request-via.ts';
export { runCli, CLI_MAIN, type CliResult, type RunCliOptions } from './cli.ts';
