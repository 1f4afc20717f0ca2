//! The exchange between machines: every peer of every node holds a TCP
//! connection to the coordinator (on node 0), which sums their buffers in
//! rank order and sends the result back. burn-collective 0.21's own
//! multi-node layer hangs at the second operation (its barrier never clears
//! the nodes it has seen), so the machines meet here instead. A closed
//! connection or a silent peer ends every peer's exchange with an error.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::error::TrainError;

/// First bytes of a peer's greeting.
const MAGIC: u32 = u32::from_le_bytes(*b"BGS1");
/// A reply length meaning the peers disagreed on an exchange.
const MISMATCH: u64 = u64::MAX;

/// A peer's connection to the coordinator.
pub(super) struct Link {
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
}

impl Link {
    /// Connects as `rank` of `count` peers, retrying until `timeout` (the
    /// coordinator may start later than this node).
    pub fn connect(
        coordinator: SocketAddr,
        rank: usize,
        count: usize,
        timeout: Duration,
    ) -> Result<Self, TrainError> {
        let deadline = Instant::now() + timeout;
        let stream = loop {
            match TcpStream::connect_timeout(&coordinator, Duration::from_secs(5)) {
                Ok(stream) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(e) => {
                    return Err(TrainError::Parallel(format!(
                        "no coordinator at {coordinator}: {e}"
                    )));
                }
            }
        };
        let lost = |e: io::Error| TrainError::Parallel(format!("coordinator {coordinator}: {e}"));
        stream.set_nodelay(true).map_err(lost)?;
        stream.set_read_timeout(Some(timeout)).map_err(lost)?;
        let mut link = Self {
            reader: BufReader::new(stream.try_clone().map_err(lost)?),
            writer: BufWriter::new(stream),
        };
        let hello = [MAGIC, rank as u32, count as u32];
        link.writer
            .write_all(bytemuck::cast_slice(&hello))
            .and_then(|()| link.writer.flush())
            .map_err(lost)?;
        Ok(link)
    }

    /// The sum of `values` over all peers (their mean with `mean`).
    pub fn all_reduce(&mut self, values: &[f32], mean: bool) -> Result<Vec<f32>, TrainError> {
        self.exchange(values, mean).map_err(|e| {
            TrainError::Parallel(match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    "no answer from the coordinator in time: a peer or machine stopped".into()
                }
                io::ErrorKind::InvalidData => e.to_string(),
                io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => {
                    "the coordinator closed the exchange: a peer or machine stopped".into()
                }
                _ => format!(
                    "the exchange with the other peers broke off ({e}): a peer or machine stopped"
                ),
            })
        })
    }

    fn exchange(&mut self, values: &[f32], mean: bool) -> io::Result<Vec<f32>> {
        self.writer.write_all(&[mean as u8])?;
        self.writer
            .write_all(&(values.len() as u64).to_le_bytes())?;
        self.writer.write_all(bytemuck::cast_slice(values))?;
        self.writer.flush()?;
        let len = read_u64(&mut self.reader)?;
        if len == MISMATCH {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the peers asked for different exchanges (different networks or settings)",
            ));
        }
        if len != values.len() as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the coordinator sent a result of the wrong size",
            ));
        }
        read_floats(&mut self.reader, values.len())
    }
}

/// Listens on `port` for `count` peers on a thread of its own, then sums
/// their buffers until they all hang up or one fails.
pub(super) fn start_coordinator(port: u16, count: usize) -> Result<(), TrainError> {
    let listener = TcpListener::bind(("0.0.0.0", port)).map_err(|source| TrainError::Io {
        path: format!("coordinator port {port}").into(),
        source,
    })?;
    std::thread::Builder::new()
        .name("coordinator".into())
        .spawn(move || {
            if let Err(e) = coordinate(&listener, count) {
                let why = match e.kind() {
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
                        "a peer left in the middle of an exchange".to_string()
                    }
                    _ => e.to_string(),
                };
                eprintln!("data-parallel coordinator: {why}; stopping every peer");
            }
        })
        .map_err(|source| TrainError::Io {
            path: "coordinator thread".into(),
            source,
        })?;
    Ok(())
}

/// The coordinator's loop. Returning drops every connection, which ends
/// the peers' exchanges with an error (or after the last one, quietly).
fn coordinate(listener: &TcpListener, count: usize) -> io::Result<()> {
    let mut peers: Vec<Option<(BufReader<TcpStream>, BufWriter<TcpStream>)>> =
        (0..count).map(|_| None).collect();
    for _ in 0..count {
        let (stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut hello = [0u8; 12];
        reader.read_exact(&mut hello)?;
        let hello: [u32; 3] = bytemuck::cast(hello);
        let rank = hello[1] as usize;
        if hello[0] != MAGIC || hello[2] as usize != count || rank >= count || peers[rank].is_some()
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a peer greeted as {hello:?}: another run or other settings"),
            ));
        }
        peers[rank] = Some((reader, BufWriter::new(stream)));
    }
    let mut peers: Vec<_> = peers.into_iter().flatten().collect();
    loop {
        let mut sum: Option<(u8, Vec<f32>)> = None;
        let mut agreed = true;
        for (rank, (reader, _)) in peers.iter_mut().enumerate() {
            let mut op = [0u8; 1];
            match reader.read_exact(&mut op) {
                // Everyone hung up after the last exchange: done.
                Err(e) if rank == 0 && e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                result => result?,
            }
            let len = read_u64(reader)? as usize;
            let values = read_floats(reader, len)?;
            match &mut sum {
                None => sum = Some((op[0], values)),
                Some((first, total)) if *first == op[0] && total.len() == len => {
                    total.iter_mut().zip(&values).for_each(|(t, v)| *t += v)
                }
                Some(_) => agreed = false,
            }
        }
        let Some((mean, mut total)) = sum else {
            return Ok(());
        };
        if mean == 1 {
            let n = peers.len() as f32;
            total.iter_mut().for_each(|t| *t /= n);
        }
        // Highest rank first: node 0's own peers (the lowest ranks) hear
        // last, so node 0 cannot finish and end this thread with another
        // node's reply unsent.
        for (_, writer) in peers.iter_mut().rev() {
            if agreed {
                writer.write_all(&(total.len() as u64).to_le_bytes())?;
                writer.write_all(bytemuck::cast_slice(&total))?;
            } else {
                writer.write_all(&MISMATCH.to_le_bytes())?;
            }
            writer.flush()?;
        }
        if !agreed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the peers asked for different exchanges",
            ));
        }
    }
}

fn read_u64(reader: &mut impl Read) -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    reader.read_exact(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

fn read_floats(reader: &mut impl Read, len: usize) -> io::Result<Vec<f32>> {
    // The largest exchange is one parameter's gradient; a length beyond
    // this is a stranger on the port, not a peer.
    if len > 1 << 28 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("an exchange of {len} values: not a peer of this run"),
        ));
    }
    let mut values = vec![0f32; len];
    reader.read_exact(bytemuck::cast_slice_mut(&mut values))?;
    Ok(values)
}
