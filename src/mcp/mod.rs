//! `crisp-repl mcp`: a Model Context Protocol server on stdio, built from the registry.
//!
//! The protocol (rmcp) runs on a small tokio runtime on the main thread; the Lua states and
//! clients live on their own thread (`worker`), so a call in progress never stops the server
//! from reading a cancellation.

pub mod server;
pub mod tools;
pub mod worker;

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd};

use anyhow::Context;
use rmcp::ServiceExt;

use crate::cli::McpArgs;

/// Serve MCP on stdin/stdout until the client goes away.
pub fn run(args: &McpArgs, config: Option<std::path::PathBuf>) -> anyhow::Result<u8> {
    // Bad flags or config fail here, before the handshake, with the REPL's exit statuses.
    let worker = worker::Worker::start(args, config)?;
    let (input, output) = protocol_stdio().context("cannot set up stdio for MCP")?;
    eprintln!(
        "crisp-repl mcp: serving on stdio (accounts: {}{})",
        worker.accounts.join(", "),
        if args.read_only { "; read-only" } else { "" }
    );
    let handler = server::CrispMcp::new(worker, args.read_only);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the MCP runtime")?;
    runtime.block_on(async move {
        let transport = (
            tokio::fs::File::from_std(input),
            tokio::fs::File::from_std(output),
        );
        let service = handler
            .serve(transport)
            .await
            .context("MCP handshake failed")?;
        service.waiting().await.context("MCP session failed")?;
        anyhow::Ok(())
    })?;
    Ok(0)
}

/// The protocol's own copies of stdin and stdout; fd 0 then reads /dev/null and fd 1 writes to
/// stderr, so nothing else in the process (Lua's io.read, a C module, a child of os.execute)
/// can steal protocol input or corrupt protocol output.
fn protocol_stdio() -> std::io::Result<(File, File)> {
    let null = File::open("/dev/null")?;
    // SAFETY: dup/dup2 on the process's own standard descriptors; each new descriptor is
    // checked and owned by exactly one File.
    unsafe {
        let input = libc::dup(0);
        if input < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let input = File::from_raw_fd(input);
        let output = libc::dup(1);
        if output < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let output = File::from_raw_fd(output);
        if libc::dup2(null.as_raw_fd(), 0) < 0 || libc::dup2(2, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((input, output))
    }
}
