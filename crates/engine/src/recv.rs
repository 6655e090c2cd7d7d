//! A connection's request bytes, which may arrive after the connection itself.
//!
//! ApacheBench connects on a non-blocking socket (`connect()` returns `EINPROGRESS`; on
//! loopback the kernel completes the handshake and queues the connection at once) and writes
//! the request only when its next `epoll_wait` reports the socket writable, after the other
//! events of the batch it is in. So a server can accept a connection whose request has not
//! arrived: an asyncio loop registers the reader and reads when the bytes come, a thread
//! blocks in `recv()`. loopsim's ab (`load.client_cpu_us` on a closed load) does the same:
//! it connects as it finishes reading the previous response and writes the request as a job
//! of its own (`load::Send::Write`); every other client sends the bytes with the connection.
//!
//! Until the bytes arrive the request's waiting time counts as `connecting` (the client has
//! not finished sending it), not as queued on the server. A client that gives up before
//! writing closes its socket: the server reads end-of-file and closes the connection without
//! running the handler.

use crate::sim::{Cat, Cb, Job, MainJob, Role, Simulation};

/// Where a connection's request is in reaching the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bytes {
    /// Sent with (or after) the connection: readable.
    Sent,
    /// Not written yet, and no server is waiting to read it.
    Unsent,
    /// Not written yet; the server reads it as it arrives.
    Awaited(Reader),
    /// The client closed the connection without writing it.
    Closed,
}

/// What reads a request once its bytes arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// Worker `p`'s event loop: the read callback at its next poll.
    Loop(u32),
    /// Worker `p`'s main (I/O) thread (waitress).
    Main(u32),
    /// Worker `p`'s thread pool (gunicorn gthread: the poller hands it over).
    Pool(u32),
    /// Thread `t`, blocked in `recv()` (werkzeug's connection thread, a sync worker).
    Thread(u32),
}

impl Simulation {
    /// The server is ready to read request `slot`: it does now if the bytes are there,
    /// otherwise once they arrive (`request_written`).
    pub(crate) fn read_when_sent(&mut self, slot: u32, reader: Reader) {
        match self.reqs[slot as usize].bytes {
            Bytes::Sent => self.read_request(slot, reader),
            Bytes::Closed => self.read_eof(slot, reader),
            Bytes::Unsent => {
                self.reqs[slot as usize].bytes = Bytes::Awaited(reader);
                if let Reader::Thread(t) = reader {
                    self.thread_idle(t);
                    self.threads[t as usize].job = Job::Recv(slot);
                }
            }
            Bytes::Awaited(_) => unreachable!("a request is read by one reader"),
        }
    }

    /// The client's request bytes arrive: a waiting reader reads them.
    pub(crate) fn request_written(&mut self, slot: u32) {
        let now = self.now;
        let r = &mut self.reqs[slot as usize];
        r.written = now;
        let old = std::mem::replace(&mut r.bytes, Bytes::Sent);
        if r.cat == Cat::Connecting && r.server_held {
            self.req_cat(slot, Cat::Queued);
        }
        if let Bytes::Awaited(reader) = old {
            if self.reader_alive(slot, reader) {
                self.read_request(slot, reader);
            }
        }
    }

    /// The client gave up on request `slot` before writing it (it has finished for the
    /// client): its socket closes, and a waiting server reads end-of-file.
    pub(crate) fn client_closed_unsent(&mut self, slot: u32) {
        let old = std::mem::replace(&mut self.reqs[slot as usize].bytes, Bytes::Closed);
        if let Bytes::Awaited(reader) = old {
            if self.reader_alive(slot, reader) {
                self.read_eof(slot, reader);
            }
        }
    }

    /// Whether the reader still holds the request (its worker was not killed meanwhile).
    fn reader_alive(&self, slot: u32, reader: Reader) -> bool {
        let r = &self.reqs[slot as usize];
        let proc = &self.procs[r.proc as usize];
        let thread_ok = match reader {
            Reader::Thread(t) => self.threads[t as usize].alive,
            _ => true,
        };
        r.server_held && proc.alive && proc.gen == r.proc_gen && thread_ok
    }

    fn read_request(&mut self, slot: u32, reader: Reader) {
        match reader {
            Reader::Loop(p) => self.loop_pending(p, Cb::Read(slot)),
            Reader::Main(p) => self.main_push(p, MainJob::Read(slot)),
            Reader::Pool(p) => self.enqueue_task(p, slot),
            Reader::Thread(t) => self.start_code(t, slot),
        }
    }

    /// The server reads end-of-file: it closes the connection, and a thread blocked on it
    /// goes back to its work.
    fn read_eof(&mut self, slot: u32, reader: Reader) {
        let p = self.reqs[slot as usize].proc;
        self.close_conn(p);
        self.server_done(slot);
        if let Reader::Thread(t) = reader {
            match self.threads[t as usize].role {
                Role::Conn => self.conn_thread_exit(p, t),
                Role::Sync => {
                    self.threads[t as usize].job = Job::None;
                    self.sync_next(p);
                }
                role => unreachable!("a {role:?} thread does not read requests"),
            }
        }
    }
}
