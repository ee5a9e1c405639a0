/** The connection file a Jupyter client writes for its kernel (`-f {connection_file}`). */
import { readFile } from "node:fs/promises";
import { SteplabError } from "../errors/index.js";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  /** 0 asks the kernel to pick a free port; the bound port is reported back by the kernel. */
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export const CHANNELS = ["shell", "control", "stdin", "iopub", "hb"] as const;
export type Channel = (typeof CHANNELS)[number];

/** The connection file is missing or does not describe a kernel's sockets. */
export class ConnectionFileError extends SteplabError {
  constructor(message: string) {
    super("KERNEL_CONNECTION", message);
  }
}

export function parseConnection(text: string, source = "connection file"): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConnectionFileError(`${source} is not JSON: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object") throw new ConnectionFileError(`${source} is not a JSON object`);
  const r = raw as Record<string, unknown>;
  const transport = r.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") {
    throw new ConnectionFileError(`${source}: transport must be "tcp" or "ipc", not ${JSON.stringify(transport)}`);
  }
  const port = (name: string): number => {
    const v = r[name] ?? 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) {
      throw new ConnectionFileError(`${source}: ${name} must be a port number`);
    }
    return v;
  };
  const key = r.key ?? "";
  if (typeof key !== "string") throw new ConnectionFileError(`${source}: key must be a string`);
  const scheme = r.signature_scheme ?? "hmac-sha256";
  if (typeof scheme !== "string") throw new ConnectionFileError(`${source}: signature_scheme must be a string`);
  return {
    transport,
    ip: typeof r.ip === "string" ? r.ip : "127.0.0.1",
    shell_port: port("shell_port"),
    control_port: port("control_port"),
    stdin_port: port("stdin_port"),
    iopub_port: port("iopub_port"),
    hb_port: port("hb_port"),
    key,
    signature_scheme: scheme,
    ...(typeof r.kernel_name === "string" ? { kernel_name: r.kernel_name } : {}),
  };
}

export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ConnectionFileError(`cannot read connection file ${path}: ${(e as Error).message}`);
  }
  return parseConnection(text, path);
}

const PORT_KEY = {
  shell: "shell_port",
  control: "control_port",
  stdin: "stdin_port",
  iopub: "iopub_port",
  hb: "hb_port",
} as const satisfies Record<Channel, keyof ConnectionInfo>;

export function portOf(info: ConnectionInfo, channel: Channel): number {
  return info[PORT_KEY[channel]];
}

export function withPort(info: ConnectionInfo, channel: Channel, port: number): ConnectionInfo {
  return { ...info, [PORT_KEY[channel]]: port };
}

/** The zeromq endpoint to bind; ipc follows jupyter_client's `<ip>-<port>` file naming. */
export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = portOf(info, channel);
  if (info.transport === "ipc") return `ipc://${info.ip}-${port}`;
  const host = info.ip.includes(":") ? `[${info.ip}]` : info.ip;
  return `tcp://${host}:${port === 0 ? "*" : port}`;
}
