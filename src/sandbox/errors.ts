// Errors of the sandbox room: bubblewrap demanded but unusable, or a request that would expose the host.
import { AutofixError } from "../errors.js";

export class SandboxUnavailable extends AutofixError {
  constructor(reason: string) {
    super(
      "SANDBOX_UNAVAILABLE",
      {
        what: "autofix cannot isolate agents and repository commands, and AUTOFIX_SANDBOX=required forbids running them without isolation.",
        why: `bubblewrap is not usable on this host: ${reason}.`,
        next:
          "Install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`) and allow unprivileged user namespaces " +
          "(`sysctl -w kernel.unprivileged_userns_clone=1` where that setting exists, and `sysctl -w user.max_user_namespaces=15000`; " +
          "in Docker run with `--security-opt seccomp=unconfined` or a profile allowing clone(CLONE_NEWUSER)), " +
          "or set AUTOFIX_SANDBOX=auto to accept process-level isolation only.",
      },
      { retryable: false, data: { reason } },
    );
  }
}

export class SandboxRequestRefused extends AutofixError {
  constructor(path: string, why: string) {
    super(
      "SANDBOX_REQUEST_REFUSED",
      {
        what: `The sandbox refused to expose ${path} to a process.`,
        why,
        next: "Pass a narrower directory (the spawn, a scratch directory, or a tool's install directory).",
      },
      { data: { path } },
    );
  }
}
