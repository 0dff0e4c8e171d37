# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_telemetry_spec_global_optspecs
    string join \n h/help V/version
end

function __fish_telemetry_spec_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_telemetry_spec_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_telemetry_spec_using_subcommand
    set -l cmd (__fish_telemetry_spec_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -s V -l version -d 'Print version'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "check" -d 'Validate the spec and report every problem at once'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "example" -d 'Print the example payload (pretty JSON) built from the items\' example values'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "rust" -d 'Print the Rust code that build.rs generates from the spec'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "generate" -d 'Write the disclosure pages (Markdown, HTML) and the payload\'s JSON Schema'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "diff" -d 'Show what changed between two versions of the spec, for a compliance review'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "review" -d 'Print a data-review request (Markdown) for the items that changed between two specs'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "explain" -d 'Explain a diagnostic code, such as E0008 or short-description'
complete -c telemetry-spec -n "__fish_telemetry_spec_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand check" -l today -d 'Judge date expiries on this UTC day (YYYY-MM-DD) instead of today' -r
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand check" -l product-version -d 'Judge version expiries against this product version; without it, version expiries are not checked' -r
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand check" -l deny-warnings -d 'Treat warnings (lints) as errors'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand check" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand example" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand rust" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand generate" -l out -d 'Where to write the files' -r -F
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand generate" -l templates -d 'The templates and prose (default: `templates/` next to the spec)' -r -F
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand generate" -l check -d 'Write nothing; exit 1 and list the files that are out of date'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand generate" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand diff" -l format -r -f -a "markdown\t''
json\t''"
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand diff" -l fail-on -d 'Exit 3 if any change is of this class or a more demanding one (breaking > needs-review > editorial)' -r -f -a "breaking\t''
needs-review\t''"
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand diff" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand review" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand explain" -s h -l help -d 'Print help'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "check" -d 'Validate the spec and report every problem at once'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "example" -d 'Print the example payload (pretty JSON) built from the items\' example values'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "rust" -d 'Print the Rust code that build.rs generates from the spec'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "generate" -d 'Write the disclosure pages (Markdown, HTML) and the payload\'s JSON Schema'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "diff" -d 'Show what changed between two versions of the spec, for a compliance review'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "review" -d 'Print a data-review request (Markdown) for the items that changed between two specs'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "explain" -d 'Explain a diagnostic code, such as E0008 or short-description'
complete -c telemetry-spec -n "__fish_telemetry_spec_using_subcommand help; and not __fish_seen_subcommand_from check example rust generate diff review explain help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
