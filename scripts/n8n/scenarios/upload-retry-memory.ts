/** Upload of an earlier node's binary, retried after 503 + Retry-After, binaries in memory mode (see ../upload-retry.ts). */
import { uploadRetryScenario } from '../upload-retry.js';

export default uploadRetryScenario('default');
