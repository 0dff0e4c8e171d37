//! The `telemetry-spec` command line, as a function of arguments and streams so that tests can
//! run it in-process. Exit codes: 0 success, 1 the spec has errors (or is stale), 2 usage or I/O, 3 a `diff --fail-on` gate tripped.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::{Checked, LoadError, codegen, example};

mod output;

const DEFAULT_SPEC: &str = "spec/telemetry.toml";

#[derive(Debug, Parser)]
#[command(
    name = "telemetry-spec",
    version,
    about = "Compile Optimize's telemetry spec: check it, print the example payload, generate code and docs",
    after_help = "SPEC defaults to spec/telemetry.toml; `-` reads standard input.\nExit codes: 0 ok, 1 spec errors (expired items included), 2 usage or I/O errors, 3 `diff --fail-on` found a change of that class or above."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the spec and report every problem at once
    Check {
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// Treat warnings (lints) as errors
        #[arg(long)]
        deny_warnings: bool,
        /// Judge date expiries on this UTC day (YYYY-MM-DD) instead of today
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        today: Option<crate::expiry::Date>,
        /// Judge version expiries against this product version; without it, version
        /// expiries are not checked
        #[arg(long, value_name = "VERSION", value_parser = parse_version)]
        product_version: Option<String>,
    },
    /// Print the example payload (pretty JSON) built from the items' example values
    Example {
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
    },
    /// Print the Rust code that build.rs generates from the spec
    Rust {
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
    },
    /// Write the disclosure pages (Markdown, HTML) and the payload's JSON Schema
    Generate {
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// Where to write the files
        #[arg(long, default_value = "docs/disclosure")]
        out: PathBuf,
        /// The templates and prose (default: `templates/` next to the spec)
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Write nothing; exit 1 and list the files that are out of date
        #[arg(long)]
        check: bool,
    },
    /// Show what changed between two versions of the spec, for a compliance review
    Diff {
        /// The old spec (`-` for standard input)
        old: PathBuf,
        /// The new spec (`-` for standard input)
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffFormat::Markdown)]
        format: DiffFormat,
        /// Exit 3 if any change is of this class or a more demanding one
        /// (breaking > needs-review > editorial)
        #[arg(long, value_enum, value_name = "CLASS")]
        fail_on: Option<FailOn>,
    },
    /// Print a data-review request (Markdown) for the items that changed between two specs
    Review {
        /// The old spec (`-` for standard input)
        old: PathBuf,
        /// The new spec (`-` for standard input)
        new: PathBuf,
    },
    /// Explain a diagnostic code, such as E0008 or short-description
    Explain { code: String },
}

fn parse_date(text: &str) -> Result<crate::expiry::Date, String> {
    crate::expiry::Date::parse(text).ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

fn parse_version(text: &str) -> Result<String, String> {
    if crate::types::is_semver(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a semantic version (MAJOR.MINOR.PATCH)"
        ))
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Breaking,
    NeedsReview,
}

impl FailOn {
    fn class(self) -> crate::diff::Class {
        match self {
            FailOn::Breaking => crate::diff::Class::Breaking,
            FailOn::NeedsReview => crate::diff::Class::NeedsReview,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DiffFormat {
    Markdown,
    Json,
}

/// The command-line definition, for the man pages and shell completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The files `generate` writes, under `--out`.
const GENERATED_FILES: [&str; 3] = ["telemetry.md", "telemetry.html", "payload.schema.json"];

/// Streams the command reads and writes.
pub struct Io<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// The process ends right after [`run`]: the checked spec is then left to the operating
    /// system instead of being freed allocation by allocation (a large spec has hundreds of
    /// thousands), which would only delay the exit.
    pub exits_after: bool,
}

impl Io<'_> {
    /// Drops `value`, or leaves it to the exit (see [`Io::exits_after`]).
    fn done_with<T>(&self, value: T) {
        if self.exits_after {
            std::mem::forget(value);
        }
    }
}

/// Runs the command line `args` (including the program name) and returns the exit code.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let text = err.render().to_string();
            let _ = if code == 0 {
                io.stdout.write_all(text.as_bytes())
            } else {
                io.stderr.write_all(text.as_bytes())
            };
            return code;
        }
    };
    match execute(cli.command, io) {
        Ok(code) => code,
        // The reader went away (`| head`): it has what it wanted; nothing to report.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(err) => {
            let _ = writeln!(io.stderr, "telemetry-spec: error: {err}");
            2
        }
    }
}

/// Failures that are not about the spec's content.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot read template `{path}`: {source}")]
    Template {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("only one of OLD and NEW can be read from standard input")]
    TwoStdin,
}

/// Reads and checks the spec for a command that prints only errors: without the lints.
fn load(spec: &Path, stdin: &mut dyn Read) -> Result<Checked, CliError> {
    let lints = crate::Lints::Skip;
    if spec.as_os_str() == "-" {
        let mut bytes = Vec::new();
        stdin.read_to_end(&mut bytes).map_err(CliError::Stdin)?;
        return Ok(crate::check_with("<stdin>", &bytes, lints));
    }
    Ok(crate::load_with(spec, lints)?)
}

/// [`load`] with every item's expiry judged at `at`.
fn load_at(spec: &Path, stdin: &mut dyn Read, at: &crate::expiry::At) -> Result<Checked, CliError> {
    if spec.as_os_str() == "-" {
        let mut bytes = Vec::new();
        stdin.read_to_end(&mut bytes).map_err(CliError::Stdin)?;
        return Ok(crate::check_at("<stdin>", &bytes, at));
    }
    let bytes = crate::read(spec)?;
    Ok(crate::judge(
        crate::check_owned(&spec.display().to_string(), bytes, crate::Lints::Run),
        at,
    ))
}

/// Checks the spec; on errors prints them and returns `None` (exit 1).
fn valid(spec: &Path, io: &mut Io<'_>) -> Result<Option<crate::ValidSpec>, CliError> {
    let checked = load(spec, io.stdin)?;
    if checked.has_errors() {
        io.stderr.write_all(checked.render().as_bytes())?;
        return Ok(None);
    }
    Ok(checked.spec)
}

fn execute(command: Command, io: &mut Io<'_>) -> Result<u8, CliError> {
    match command {
        Command::Check {
            spec,
            deny_warnings,
            today,
            product_version,
        } => {
            let at = crate::expiry::At {
                today: today.unwrap_or_else(crate::expiry::Date::today_utc),
                product_version,
            };
            let checked = load_at(&spec, io.stdin, &at)?;
            io.stderr.write_all(checked.render().as_bytes())?;
            let failed = checked.has_errors() || (deny_warnings && !checked.diagnostics.is_empty());
            if failed {
                return Ok(1);
            }
            if let Some(spec) = &checked.spec {
                writeln!(
                    io.stderr,
                    "{}: ok, {} items in {} categories from {} sources (spec version {})",
                    checked.file.name(),
                    spec.items.len(),
                    spec.categories.len(),
                    spec.sources.len(),
                    spec.product.spec_version
                )?;
            }
            io.done_with(checked);
            Ok(0)
        }
        Command::Example { spec } => match valid(&spec, io)? {
            Some(spec) => {
                io.stdout
                    .write_all(example::example_json(&spec).as_bytes())?;
                Ok(0)
            }
            None => Ok(1),
        },
        Command::Rust { spec: path } => match valid(&path, io)? {
            Some(spec) => {
                let origin = if path.as_os_str() == "-" {
                    "<stdin>".to_owned()
                } else {
                    path.display().to_string()
                };
                let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut *io.stdout);
                codegen::write_rust(&spec, &origin, &mut out)?;
                out.flush()?;
                drop(out);
                io.done_with(spec);
                Ok(0)
            }
            None => Ok(1),
        },
        Command::Generate {
            spec: path,
            out,
            templates,
            check,
        } => {
            let dir = templates.unwrap_or_else(|| {
                let base = if path.as_os_str() == "-" {
                    Path::new("spec")
                } else {
                    path.parent().unwrap_or(Path::new("."))
                };
                base.join("templates")
            });
            // The templates do not depend on the spec: for a large spec they are read and
            // compiled while it is checked (a small one is checked before a thread would have
            // started). Their problems are reported only once the spec is valid.
            let large = std::fs::metadata(&path).is_ok_and(|m| m.len() >= CONCURRENT_SPEC_BYTES);
            std::thread::scope(|scope| {
                let compiling = large.then(|| scope.spawn(|| compile_templates(&dir)));
                let Some(spec) = valid(&path, io)? else {
                    return Ok(1);
                };
                let compiled = match compiling.map(|thread| thread.join()) {
                    None => compile_templates(&dir)?,
                    Some(Ok(compiled)) => compiled?,
                    Some(Err(panic)) => std::panic::resume_unwind(panic),
                };
                let compiled = match compiled {
                    Ok(compiled) => compiled,
                    Err(err) => {
                        writeln!(io.stderr, "telemetry-spec: error: {err}")?;
                        return Ok(1);
                    }
                };
                // Prepared by the first page to need them, while the schema is rendered.
                let pages =
                    std::sync::LazyLock::new(|| crate::docs::Pages::compiled(&spec, compiled));
                let code = generate(&spec, &pages, &out, check, io);
                io.done_with(pages);
                io.done_with(spec);
                code
            })
        }
        Command::Review { old, new } => {
            if old.as_os_str() == "-" && new.as_os_str() == "-" {
                return Err(CliError::TwoStdin);
            }
            let (Some(old), Some(new)) = (valid(&old, io)?, valid(&new, io)?) else {
                return Ok(1);
            };
            io.stdout
                .write_all(crate::review::request(&old, &new).as_bytes())?;
            Ok(0)
        }
        Command::Diff {
            old,
            new,
            format,
            fail_on,
        } => {
            if old.as_os_str() == "-" && new.as_os_str() == "-" {
                return Err(CliError::TwoStdin);
            }
            let (Some(old), Some(new)) = (valid(&old, io)?, valid(&new, io)?) else {
                return Ok(1);
            };
            let d = crate::diff::diff(&old, &new);
            let text = match format {
                DiffFormat::Markdown => crate::diff::render_markdown(&d),
                DiffFormat::Json => crate::diff::render_json(&d),
            };
            io.stdout.write_all(text.as_bytes())?;
            for w in &d.warnings {
                writeln!(io.stderr, "telemetry-spec: warning: {w}")?;
            }
            if let (Some(gate), Some(top)) = (fail_on, crate::diff::gate(&new, &d.classified))
                && top >= gate.class()
            {
                writeln!(
                    io.stderr,
                    "telemetry-spec: the spec change is {} (gate: --fail-on {}); it needs approval before it is merged",
                    top.as_str(),
                    gate.class().as_str()
                )?;
                return Ok(3);
            }
            Ok(0)
        }
        Command::Explain { code } => {
            let found = crate::Code::ALL
                .iter()
                .find(|c| c.as_str().eq_ignore_ascii_case(&code) || c.name() == code);
            match found {
                Some(c) => {
                    writeln!(
                        io.stdout,
                        "{} ({}, {}): {}",
                        c.as_str(),
                        c.name(),
                        c.severity().as_str(),
                        c.summary()
                    )?;
                    if c.is_lint() {
                        writeln!(
                            io.stdout,
                            "Allow it for one item with `allow = [\"{}\"]`.",
                            c.name()
                        )?;
                    }
                    Ok(0)
                }
                None => {
                    writeln!(
                        io.stderr,
                        "telemetry-spec: error: unknown diagnostic code `{code}`"
                    )?;
                    Ok(2)
                }
            }
        }
    }
}

/// Below this many items `generate` renders its files one after the other: threads would cost
/// more than they save on the real spec.
const PARALLEL_ITEMS: usize = 2_000;

/// From this size on, `generate` compiles the templates while the spec is checked: below it,
/// starting a thread costs more (about a millisecond for the real spec) than it saves.
const CONCURRENT_SPEC_BYTES: u64 = 256 * 1024;

/// Reads and compiles the templates in `dir`: a file that cannot be read is a [`CliError`],
/// a template that does not compile a [`crate::DocsError`].
fn compile_templates(
    dir: &Path,
) -> Result<Result<crate::docs::CompiledTemplates, crate::docs::DocsError>, CliError> {
    let read = |name: &str| {
        let file = dir.join(name);
        std::fs::read_to_string(&file).map_err(|source| CliError::Template {
            path: file.display().to_string(),
            source,
        })
    };
    let templates = crate::docs::Templates {
        markdown: read("telemetry.md.hbs")?,
        html: read("telemetry.html.hbs")?,
        prose: read("disclosure.toml")?,
    };
    Ok(crate::docs::CompiledTemplates::new(&templates))
}

/// Renders every generated file and compares it with what `out` holds, streaming: no page is
/// ever held in memory whole. Changed files are written through temporary files that are
/// renamed only once every file rendered, so a failure leaves `out` as it was; with `check`
/// nothing is written at all.
fn generate<'s, F: FnOnce() -> crate::docs::Pages<'s> + Send>(
    spec: &'s crate::ValidSpec,
    pages: &std::sync::LazyLock<crate::docs::Pages<'s>, F>,
    out: &Path,
    check: bool,
    io: &mut Io<'_>,
) -> Result<u8, CliError> {
    // The three files are independent: on a large spec each gets a thread, and the schema
    // (which needs no pages) starts first, beside the thread that prepares the pages.
    let threads = match crate::parallel::threads_for(spec.items.len(), PARALLEL_ITEMS) {
        1 => 1,
        _ => GENERATED_FILES.len(),
    };
    let pages = || std::sync::LazyLock::force(pages);
    let first_schema = [GENERATED_FILES[2], GENERATED_FILES[0], GENERATED_FILES[1]];
    let mut rendered = crate::parallel::map(&first_schema, threads, |name| {
        output::render(&out.join(name), check, |w| match *name {
            "telemetry.md" => pages().write_markdown(w).map_err(output::Error::from),
            "telemetry.html" => pages().write_html(w).map_err(output::Error::from),
            _ => crate::schema::write_schema(spec, w).map_err(output::Error::Io),
        })
    });
    // Back in the order of `GENERATED_FILES`.
    rendered.rotate_left(1);
    // A failure leaves `out` as it was: no file is published, no temporary file is left.
    if let Some(index) = rendered.iter().position(Result::is_err) {
        let mut rendered = rendered;
        for outcome in &rendered {
            if let Ok(output::Outcome::Differs { tmp: Some(tmp), .. }) = outcome {
                let _ = std::fs::remove_file(tmp);
            }
        }
        let shown = out.join(GENERATED_FILES[index]).display().to_string();
        return match rendered.swap_remove(index) {
            Err(output::Error::Docs(err)) => {
                writeln!(io.stderr, "telemetry-spec: error: {err}")?;
                Ok(1)
            }
            Err(output::Error::Io(source)) => Err(CliError::Write {
                path: shown,
                source,
            }),
            Ok(_) => Ok(1),
        };
    }
    let mut pending = Vec::new();
    let mut stale = 0;
    for (name, rendered) in GENERATED_FILES.iter().zip(rendered) {
        let file = out.join(name);
        let shown = file.display().to_string();
        match rendered {
            Ok(output::Outcome::UpToDate) => writeln!(io.stderr, "{shown}: up to date")?,
            Ok(output::Outcome::Differs { missing, tmp }) => {
                if check {
                    stale += 1;
                    let why = if missing { "missing" } else { "stale" };
                    writeln!(io.stderr, "{shown}: {why}")?;
                } else {
                    pending.push((tmp, file, shown));
                }
            }
            Err(_) => {}
        }
    }
    for (tmp, file, shown) in pending {
        if let Some(tmp) = tmp {
            std::fs::rename(&tmp, &file).map_err(|source| CliError::Write {
                path: shown.clone(),
                source,
            })?;
        }
        writeln!(io.stderr, "{shown}: written")?;
    }
    if stale > 0 {
        writeln!(
            io.stderr,
            "telemetry-spec: {stale} generated file(s) out of date; run `cargo run -p telemetry-spec -- generate` and commit the result"
        )?;
        return Ok(1);
    }
    Ok(0)
}
