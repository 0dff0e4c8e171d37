# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_optimize_telemetry_global_optspecs
    string join \n config= log-level= log-format= h/help V/version
end

function __fish_optimize_telemetry_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_optimize_telemetry_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_optimize_telemetry_using_subcommand
    set -l cmd (__fish_optimize_telemetry_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -s V -l version -d 'Print version'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "run" -d 'Run the daemon (scheduler and control API) until SIGINT or SIGTERM'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "preview" -d 'Collect a report now and print exactly what would be sent; sends nothing'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "status" -d 'Show whether telemetry is on, who changed it, the last and the next send'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "enable" -d 'Switch telemetry on (needs a superuser token, through the running daemon)'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "disable" -d 'Switch telemetry off (needs a superuser token, through the running daemon)'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "audit" -d 'List the audit ledger of send attempts, or check its hash chain'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "hash-token" -d 'Read a token on standard input and print the SHA-256 to put in `control.tokens`'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "completions" -d 'Print the shell completion script for SHELL on standard output'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand run" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand run" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand run" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand preview" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand preview" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand preview" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand preview" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand status" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand status" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand status" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand enable" -l token-file -d 'A file holding the token (else the OPTIMIZE_TELEMETRY_TOKEN variable). Tokens are never taken as arguments: other users can read a process\'s arguments' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand enable" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand enable" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand enable" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand enable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand disable" -l token-file -d 'A file holding the token (else the OPTIMIZE_TELEMETRY_TOKEN variable). Tokens are never taken as arguments: other users can read a process\'s arguments' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand disable" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand disable" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand disable" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand audit" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand audit" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand audit" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand audit" -l verify -d 'Check that no entry was edited, removed or reordered; exit 1 naming the first that was'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand audit" -l json -d 'Print the entries as JSON lines, payload included'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand hash-token" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand hash-token" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand hash-token" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand hash-token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand completions" -l config -d 'The configuration file [default: optimize-telemetry.toml, if present]' -r -F
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand completions" -l log-level -d 'Log level: error, warn, info, debug or trace [default: info; error for preview]' -r
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand completions" -l log-format -d 'Log lines as text, or as one JSON object per line (collected values and secrets are never logged in either)' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line: `timestamp`, `level`, `message` and the event\'s fields'"
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "run" -d 'Run the daemon (scheduler and control API) until SIGINT or SIGTERM'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "preview" -d 'Collect a report now and print exactly what would be sent; sends nothing'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "status" -d 'Show whether telemetry is on, who changed it, the last and the next send'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "enable" -d 'Switch telemetry on (needs a superuser token, through the running daemon)'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "disable" -d 'Switch telemetry off (needs a superuser token, through the running daemon)'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "audit" -d 'List the audit ledger of send attempts, or check its hash chain'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "hash-token" -d 'Read a token on standard input and print the SHA-256 to put in `control.tokens`'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "completions" -d 'Print the shell completion script for SHELL on standard output'
complete -c optimize-telemetry -n "__fish_optimize_telemetry_using_subcommand help; and not __fish_seen_subcommand_from run preview status enable disable audit hash-token completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
