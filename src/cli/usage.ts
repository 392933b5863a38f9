/**
 * Every command's usage text, apart from the commands themselves: `sluice --help` loads this
 * module alone (the commands are imported when run), which keeps it fast.
 */

export const SIM_USAGE = `  sim   run the embedded Kubernetes cluster on 127.0.0.1
        --port N          port to serve on (default 6443; 0 picks a free one)
        --kubeconfig F    write a kubeconfig for the cluster to F
        --nodes N         simulated nodes (default 3)
        --speed X         run cluster time X times faster than real time (default 1)
        --api-only        serve the API alone: no controllers, scheduler or kubelets
`;

export const RENDER_USAGE = `  render  print the objects a directory or a Git revision renders to, as multi-document YAML
        sluice render DIR [--path P] [--root R]
        sluice render --repo URL [--revision REV] [--path P] [--cache-dir D]
        --path P          directory inside the repository (default: DIR itself, or the repository root)
        --root R          what DIR's relative references may reach (default: its Git work
                          tree, else the current directory when DIR is inside it, else DIR)
        --revision REV    branch, tag, or commit SHA (default: the remote's HEAD)
        --no-recurse      plain directories: only the top level
        --no-kustomize-binary  never fall back to kustomize/kubectl for unsupported fields
        Credentials for --repo come from SLUICE_GIT_CREDENTIALS(_FILE); see docs/architecture.md.
`;

export const APP_USAGE = `  diff    show how the live cluster differs from Git for one app; exit 1 when OutOfSync
        sluice diff --apps FILE --app NAME [--revision REV] [--server URL] [--cache-dir D]
  sync    sync one app now and report each object; exit 1 when the sync fails
        sluice sync --apps FILE --app NAME [--revision REV] [--dry-run] [--prune] [--server URL]
                    [--resource GROUP/KIND/NAMESPACE/NAME ...]   (selective sync, e.g. apps/Deployment/web/api)
        The cluster is KUBECONFIG's current context unless --server names an unauthenticated
        API server (e.g. \`sluice sim\`). --ignore-differences FILE adds ignoreDifferences for
        every app (a YAML list of {group, kind, jsonPointers | jsonPaths | managedFieldsManagers}).
        FILE may hold Projects beside the Applications; an app's project is checked before any write.
        --accept-argocd reads Argo CD Applications and AppProjects (argoproj.io/v1alpha1) in FILE too (see convert).
`;

export const CONVERT_USAGE = `  convert print the Argo CD Applications and AppProjects (argoproj.io/v1alpha1) of FILE as sluice.dev
        Applications and Projects
        sluice convert FILE    (exit 1 when one is invalid; the fields Sluice does not honour
                               are named on stderr, one warning per object)
`;

export const START_USAGE = `  start   run the controller: poll, sync and self-heal the apps of a file or of the cluster
        sluice start (--apps FILE | --from-cluster [--namespace NS]) [--server URL] [--redis URL]
                     [--concurrency N] [--cache-dir D] [--ignore-differences FILE]
        --from-cluster    the Application resources in NS (default sluice-system), followed as they
                          change, with their status written back (kubectl get sapp)
        Redis: --redis, else REDIS_URL, else a private redis-server for this process.
        API:   --listen ADDR:PORT (default 127.0.0.1:8080) serves docs/api.md, webhooks, /healthz /readyz /metrics
               --tokens FILE | --tokens-secret NS/NAME   API tokens (YAML: tokens: [{name, role, sha256}])
               --webhook-secrets FILE   YAML {github, gitlab, gitea, bitbucket, generic: secret}
                                        (or SLUICE_WEBHOOK_SECRET_GITHUB, …); a forge without one is accepted unsigned
               --connect-timeout S      give up when Redis or the cluster does not answer for S seconds (default 60)
        --accept-argocd   read Argo CD Applications and AppProjects (argoproj.io/v1alpha1) in --apps FILE,
                          or with --from-cluster those of NS, too; Sluice writes no status to Argo CD's objects
        Projects come from --apps FILE beside the apps, or with --from-cluster from the Project resources of NS.
`;

export const DEMO_USAGE = `  demo    the embedded cluster, the example repository and the controller (npm start)
        sluice demo [--port N] [--api-port N]   (API on 127.0.0.1:8080 by default; 0 picks a free port)
`;

export const LOCAL_ROLLOUT_USAGE = `  rollback  pin one app to an earlier revision and sync it; auto-sync keeps to it until a newer commit
        sluice rollback (--apps FILE | --from-cluster) --app NAME --to <history id | revision> [--redis URL]
  unpin     release a rollback's pin: the app follows its branch again
        sluice unpin (--apps FILE | --from-cluster) --app NAME [--redis URL]
  rollout   the app's progressive rollout: status waits like kubectl rollout status (exit 1 when
            it fails or is rolled back); promote skips the remaining holds; pause holds at the
            current step; resume goes on; abort rolls back now
        sluice rollout status|promote|pause|resume|abort (--apps FILE | --from-cluster) --app NAME [--redis URL]
        Redis: --redis, else REDIS_URL (the controllers' Redis); --prefix P if they use one (default sluice).
        --from-cluster reads the Application from --namespace NS (default sluice-system) of
        KUBECONFIG's cluster, or of --server URL.
`;

export const APP_API_USAGE = `  app     applications through the API server (sluice start / npm start)
        sluice app list [--sync S] [--health H] [--search TEXT]
        sluice app get NAME | history NAME | diff NAME [--resource KEY] | refresh NAME
        sluice app sync NAME [--revision R] [--dry-run] [--prune] [--resource KEY ...]
        sluice app rollback NAME --to REVISION|HISTORY-ID | pin NAME --revision R | unpin NAME
`;

export const ROLLOUT_API_USAGE = `  rollout progressive rollouts through the API server
        sluice rollout status NAME | promote NAME | abort NAME | pause NAME | resume NAME
`;

export const LOGIN_USAGE = `  login   check a token against the API server and save both for the app and rollout commands
        sluice login --server URL --token T   (or SLUICE_SERVER / SLUICE_TOKEN; written to
                     $XDG_CONFIG_HOME/sluice/config, default ~/.config/sluice/config, mode 0600)
  logout  forget the saved server and token
`;

export const USAGE = `usage: sluice <command> [options]

commands:
${SIM_USAGE}${RENDER_USAGE}${APP_USAGE}${CONVERT_USAGE}${LOCAL_ROLLOUT_USAGE}${START_USAGE}${LOGIN_USAGE}${APP_API_USAGE}${ROLLOUT_API_USAGE}${DEMO_USAGE}  --version  print the version
`;
