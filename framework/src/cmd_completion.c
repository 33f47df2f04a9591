/* certlc completion bash|zsh: the shell completion script. Names of
 * Secrets, tenants, namespaces and labels come from certlc itself at
 * completion time (get ... -o jsonpath, --show-labels), with the -c CONFIG
 * and -n NS of the line being completed. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char bash_script[] =
    "# bash completion for certlc                         -*- shell-script -*-\n"
    "# Commands, flags, resource kinds, and the names of Secrets, tenants and\n"
    "# labels read from the store by certlc itself (with the -c CONFIG and the\n"
    "# -n NS | -A of the line being completed).\n"
    "\n"
    "__certlc_run() {\n"
    "    local i w args=()\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        case $w in\n"
    "        -c | --config) args+=(-c \"${COMP_WORDS[i + 1]}\") ;;\n"
    "        --config=*) args+=(-c \"${w#--config=}\") ;;\n"
    "        esac\n"
    "    done\n"
    "    \"${COMP_WORDS[0]}\" \"${args[@]}\" \"$@\" 2>/dev/null\n"
    "}\n"
    "\n"
    "__certlc_scope() {\n"
    "    local i w\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        case $w in\n"
    "        -A | --all-namespaces) echo -A; return ;;\n"
    "        -n | --namespace) echo \"-n ${COMP_WORDS[i + 1]}\"; return ;;\n"
    "        --namespace=*) echo \"-n ${w#--namespace=}\"; return ;;\n"
    "        esac\n"
    "    done\n"
    "}\n"
    "\n"
    "__certlc_words() {\n"
    "    local IFS=$' \\t\\n'\n"
    "    COMPREPLY=($(compgen -W \"$1\" -- \"$2\"))\n"
    "}\n"
    "\n"
    "__certlc_secrets() {\n"
    "    __certlc_words \"$(__certlc_run get secrets $(__certlc_scope) -o 'jsonpath={.items[*].metadata.name}')\" \"$1\"\n"
    "}\n"
    "\n"
    "__certlc_tenants() {\n"
    "    __certlc_words \"$(__certlc_run get tcp $(__certlc_scope) -o 'jsonpath={.items[*].metadata.name}')\" \"$1\"\n"
    "}\n"
    "\n"
    "__certlc_labels() {\n"
    "    __certlc_words \"$(__certlc_run get secrets -A --show-labels --no-headers |\n"
    "        awk '{print $NF}' | tr ',' '\\n' | grep -v '^<none>$' | sort -u)\" \"$1\"\n"
    "}\n"
    "\n"
    "__certlc_namespaces() {\n"
    "    __certlc_words \"$(__certlc_run get secrets -A -o 'jsonpath={.items[*].metadata.namespace}' |\n"
    "        tr ' ' '\\n' | sort -u)\" \"$1\"\n"
    "}\n"
    "\n"
    "__certlc_complete() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
    "    local cmd=\"\" res=\"\" i w\n"
    "    COMPREPLY=()\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        case $w in\n"
    "        -c | --config | -n | --namespace | -l | --selector | -o | --output | \\\n"
    "            -L | --label-columns | --sort-by | --for | -f | --filename | \\\n"
    "            --from | --to)\n"
    "            ((i++)) ;;\n"
    "        -*) ;;\n"
    "        *)\n"
    "            if [[ -z $cmd ]]; then\n"
    "                cmd=$w\n"
    "            elif [[ -z $res ]]; then\n"
    "                res=$w\n"
    "            fi\n"
    "            ;;\n"
    "        esac\n"
    "    done\n"
    "    case $prev in\n"
    "    -c | --config | -f | --filename)\n"
    "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
    "        return ;;\n"
    "    -o | --output)\n"
    "        __certlc_words \"wide json yaml name jsonpath= jsonpath-file= custom-columns=\" \"$cur\"\n"
    "        return ;;\n"
    "    -n | --namespace) __certlc_namespaces \"$cur\"; return ;;\n"
    "    -l | --selector) __certlc_labels \"$cur\"; return ;;\n"
    "    --for) __certlc_tenants \"$cur\"; return ;;\n"
    "    --from | --to) __certlc_words \"file etcd\" \"$cur\"; return ;;\n"
    "    -L | --label-columns | --sort-by) return ;;\n"
    "    esac\n"
    "    if [[ $cur == -* ]]; then\n"
    "        local flags=\"-h --help\"\n"
    "        case $cmd in\n"
    "        \"\") flags=\"-c --config -h --help -V --version\" ;;\n"
    "        get)\n"
    "            flags=\"-n --namespace -A --all-namespaces -l --selector -o --output\n"
    "                   -w --watch --show-labels -L --label-columns --no-headers\n"
    "                   --sort-by --allow-missing-template-keys=false --for -h --help\" ;;\n"
    "        delete | rotate) flags=\"-n --namespace -A --all-namespaces -l --selector -h --help\" ;;\n"
    "        run) flags=\"--once -h --help\" ;;\n"
    "        describe | check-expiration) flags=\"-n --namespace -A --all-namespaces -h --help\" ;;\n"
    "        migrate) flags=\"--from --to -h --help\" ;;\n"
    "        apply) flags=\"-f --filename -h --help\" ;;\n"
    "        esac\n"
    "        __certlc_words \"$flags\" \"$cur\"\n"
    "        return\n"
    "    fi\n"
    "    case $cmd in\n"
    "    \"\")\n"
    "        __certlc_words \"run get delete check-expiration rotate describe migrate apply plugins completion help\" \"$cur\" ;;\n"
    "    get)\n"
    "        case $res in\n"
    "        \"\") __certlc_words \"secrets secret tcp events leader\" \"$cur\" ;;\n"
    "        secret | secrets) __certlc_secrets \"$cur\" ;;\n"
    "        tcp | tcps | tenantcontrolplane | tenantcontrolplanes) __certlc_tenants \"$cur\" ;;\n"
    "        esac ;;\n"
    "    delete | rotate)\n"
    "        case $res in\n"
    "        \"\") __certlc_words \"secret\" \"$cur\" ;;\n"
    "        secret | secrets) __certlc_secrets \"$cur\" ;;\n"
    "        esac ;;\n"
    "    describe)\n"
    "        case $res in\n"
    "        \"\") __certlc_words \"tcp\" \"$cur\" ;;\n"
    "        *) __certlc_tenants \"$cur\" ;;\n"
    "        esac ;;\n"
    "    check-expiration)\n"
    "        [[ -z $res ]] && __certlc_tenants \"$cur\" ;;\n"
    "    completion)\n"
    "        [[ -z $res ]] && __certlc_words \"bash zsh\" \"$cur\" ;;\n"
    "    esac\n"
    "}\n"
    "\n"
    "complete -F __certlc_complete certlc\n";

/* zsh runs the same functions through its bash completion emulation. */
static const char zsh_head[] =
    "#compdef certlc\n"
    "# zsh completion for certlc (bash's, through bashcompinit)\n"
    "autoload -U +X bashcompinit && bashcompinit\n";

static const char usage[] =
    "Usage: certlc completion bash|zsh\n"
    "\n"
    "Prints the shell completion script: commands, flags, resource kinds,\n"
    "and the names of Secrets and tenants from the store.\n"
    "  bash: source <(certlc completion bash)\n"
    "  zsh:  source <(certlc completion zsh)\n"
    "make install puts them in share/bash-completion/completions/certlc and\n"
    "share/zsh/vendor-completions/_certlc.\n";

int certlc_cmd_completion(certlc_cli *c, int argc, char **argv)
{
    (void)c;
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "--help") == 0)) {
        fputs(usage, stdout);
        return CERTLC_EXIT_OK;
    }
    if (argc != 2 ||
        (strcmp(argv[1], "bash") != 0 && strcmp(argv[1], "zsh") != 0))
        return certlc_cli_usage("completion", "name a shell: bash or zsh");
    if (strcmp(argv[1], "zsh") == 0)
        fputs(zsh_head, stdout);
    fputs(bash_script, stdout);
    return CERTLC_EXIT_OK;
}
