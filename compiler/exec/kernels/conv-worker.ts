/** Worker-thread entry of KernelPool: runs each job it is sent and replies with its id. */
import { parentPort } from "node:worker_threads";
import { type JobReply, type JobRequest, runKernelJob } from "./pool-jobs.js";

const port = parentPort;
if (port === null) throw new Error("conv-worker.js must be started as a worker thread by KernelPool");

port.on("message", ({ id, job }: JobRequest) => {
  let reply: JobReply;
  try {
    runKernelJob(job);
    reply = { id, ok: true };
  } catch (error) {
    reply = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
