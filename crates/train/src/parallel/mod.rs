//! Data-parallel training: every peer (a device of this machine, on its
//! own thread, or of another machine) draws the same global batch from the
//! same random state, takes its share, and averages its gradients with the
//! others' before each optimiser step, so all peers keep the same weights —
//! those one process would reach with the whole batch. Peer 0 of node 0
//! alone writes reports and checkpoints. Peers of one machine exchange
//! through burn's collective; machines through the coordinator ([`star`]).

mod star;

use std::fmt::Display;
use std::net::{SocketAddr, ToSocketAddrs};
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::TensorPrimitive;
use burn::tensor::backend::AutodiffBackend;
use burn_collective::{CollectiveConfig, PeerId, ReduceOperation};

use super::error::TrainError;
use star::Link;

/// The machines of a multi-node run: each runs the same command with its own
/// `rank`; node 0 also runs the coordinator at `coordinator`, to which every
/// peer connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nodes {
    /// Machines in the run.
    pub count: u32,
    /// This machine's index, `0..count`.
    pub rank: u32,
    /// `HOST:PORT` of the coordinator, reachable from every node.
    pub coordinator: String,
}

/// How a training run is split: `devices` peers on this machine, each with
/// `batch / peers` of the batch, and optionally several machines.
///
/// ```no_run
/// use std::time::Duration;
/// use burn::backend::Autodiff;
/// use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::{DataParallel, StyleTrainConfig, StyleTrainer, TrainError, TrainingRun};
/// # fn run(config: StyleTrainConfig) -> Result<(), bevy_gan_style_train::TrainError> {
/// let parallel = DataParallel { devices: 2, nodes: None, timeout: Duration::from_secs(600) };
/// parallel.launch::<CpuBackend, TrainError, _>(vec![Default::default(); 2], move |peer, device| {
///     let mut trainer = StyleTrainer::<Autodiff<CpuBackend>>::new(config.clone(), &device)?;
///     trainer.join(peer)?;
///     TrainingRun::new(trainer, "out/two".as_ref(), 100)?.run(1000, |_| {})
/// })?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataParallel {
    /// Peers on this machine (one thread each).
    pub devices: usize,
    /// The machines, when there are several.
    pub nodes: Option<Nodes>,
    /// How long a peer may wait on the others in one exchange before the
    /// run stops (a peer that died, a lost machine).
    pub timeout: Duration,
}

/// One participant of a data-parallel run, given to the training closure by
/// [`DataParallel::launch`]; a trainer takes it with `join`.
#[derive(Clone)]
pub struct Peer {
    id: PeerId,
    rank: usize,
    count: usize,
    /// Since when this peer waits on the others, if it does.
    waiting: Arc<Mutex<Option<Instant>>>,
    /// Tells [`DataParallel::launch`] this peer's networks are built, then
    /// registers it with the collective: taken by the first [`Self::start`].
    start: Arc<Mutex<Option<Starter>>>,
    /// The connection to the coordinator of a multi-node run (set by
    /// [`Self::start`]).
    link: Arc<Mutex<Option<Link>>>,
}

type Starter = Box<dyn FnOnce(&Peer) -> Result<(), TrainError> + Send>;

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("rank", &self.rank)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// Enters the collective once this peer's networks are built (a
    /// trainer's `join` calls it): the next peer on this machine only
    /// starts building then, as seeded initialisation draws from one
    /// generator per process on some backends. Later calls do nothing.
    pub fn start(&self) -> Result<(), TrainError> {
        let starter = lock(&self.start).take();
        match starter {
            Some(start) => start(self),
            None => Ok(()),
        }
    }

    fn started(&self) -> bool {
        lock(&self.start).is_none()
    }

    /// This peer's index among all peers of all nodes.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Peers in the run, on all nodes.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether this peer writes the run's reports and checkpoints (peer 0
    /// of node 0).
    pub fn is_writer(&self) -> bool {
        self.rank == 0
    }

    /// The part of `total` items (a batch) this peer takes; `what` names
    /// them in the error when `total` does not split evenly.
    pub fn share(&self, total: usize, what: &str) -> Result<Range<usize>, TrainError> {
        if !total.is_multiple_of(self.count) {
            return Err(TrainError::Invalid(format!(
                "{what} of {total} does not split evenly over {} peers",
                self.count
            )));
        }
        let each = total / self.count;
        Ok(self.rank * each..(self.rank + 1) * each)
    }

    /// The mean of `tensor` over all peers.
    pub fn mean<K: Backend, const D: usize>(
        &self,
        tensor: Tensor<K, D>,
    ) -> Result<Tensor<K, D>, TrainError> {
        self.all_reduce(tensor, ReduceOperation::Mean)
    }

    fn all_reduce<K: Backend, const D: usize>(
        &self,
        tensor: Tensor<K, D>,
        op: ReduceOperation,
    ) -> Result<Tensor<K, D>, TrainError> {
        self.set_waiting(true);
        let reduced = match lock(&self.link).as_mut() {
            Some(link) => {
                let (shape, device) = (tensor.shape(), tensor.device());
                let values = tensor
                    .into_data()
                    .convert::<f32>()
                    .to_vec::<f32>()
                    .map_err(|e| TrainError::Parallel(format!("reading a tensor: {e:?}")));
                values
                    .and_then(|values| link.all_reduce(&values, op == ReduceOperation::Mean))
                    .map(|sum| Tensor::from_data(TensorData::new(sum, shape), &device))
            }
            None => burn_collective::all_reduce::<K>(self.id, tensor.into_primitive().tensor(), op)
                .map(|sum| Tensor::from_primitive(TensorPrimitive::Float(sum)))
                .map_err(|e| {
                    TrainError::Parallel(format!("exchanging with the other peers: {e:?}"))
                }),
        };
        self.set_waiting(false);
        reduced
    }

    /// `module` as every peer trains it from `iteration`: fresh (iteration
    /// 0) it takes the writer's weights; resumed it must already match
    /// them ([`Self::check_same`]).
    pub fn adopt<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        module: M,
        iteration: u64,
        device: &B::Device,
    ) -> Result<M, TrainError> {
        let module = if iteration == 0 {
            self.take_writers(module)?
        } else {
            module
        };
        self.check_same(&module.valid(), iteration, device)?;
        Ok(module)
    }

    /// `module` with the writer's weights on every peer (a sum to which
    /// the others add zeros, exact): fresh networks then start alike even
    /// where seeded initialisation is not (threads sharing one generator).
    fn take_writers<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        module: M,
    ) -> Result<M, TrainError> {
        let mut mapper = TakeWriters::<B> {
            peer: self,
            error: None,
            _backend: std::marker::PhantomData,
        };
        let module = module.map(&mut mapper);
        match mapper.error {
            Some(error) => Err(error),
            None => Ok(module),
        }
    }

    /// The mean of `values` (losses) over all peers.
    pub fn mean_values<K: Backend>(
        &self,
        values: &[f32],
        device: &K::Device,
    ) -> Result<Vec<f32>, TrainError> {
        let tensor = Tensor::<K, 1>::from_floats(values, device);
        let mean = self.mean(tensor)?.into_data();
        mean.to_vec::<f32>()
            .map_err(|e| TrainError::Parallel(format!("reading averaged losses: {e:?}")))
    }

    /// `grads` of `module`'s parameters averaged over all peers. The
    /// parameters are visited in the module's order, the same on every peer
    /// (their ids are random per process).
    pub fn mean_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        grads: GradientsParams,
        module: &M,
    ) -> Result<GradientsParams, TrainError> {
        let mut visitor = MeanGradients::<B> {
            peer: self,
            grads,
            error: None,
            _backend: std::marker::PhantomData,
        };
        module.visit(&mut visitor);
        match visitor.error {
            Some(error) => Err(error),
            None => Ok(visitor.grads),
        }
    }

    /// Checks that every peer is at the same `iteration` with the same
    /// weights of `module` (a resumed run must read the same checkpoint on
    /// every machine): a mismatch would train different networks.
    pub fn check_same<B: Backend, M: Module<B>>(
        &self,
        module: &M,
        iteration: u64,
        device: &B::Device,
    ) -> Result<(), TrainError> {
        let mut sums = Fingerprint::<B> {
            sums: vec![iteration as f32],
            _backend: std::marker::PhantomData,
        };
        module.visit(&mut sums);
        let mine = sums.sums;
        let mean = self.mean_values::<B>(&mine, device)?;
        let same = mine
            .iter()
            .zip(&mean)
            .all(|(a, b)| (a - b).abs() <= 1e-5 * a.abs().max(1.0));
        if same {
            Ok(())
        } else {
            Err(TrainError::Parallel(
                "the peers start from different iterations or weights \
                 (a resumed run needs the same checkpoint on every machine)"
                    .into(),
            ))
        }
    }

    fn set_waiting(&self, on: bool) {
        *lock(&self.waiting) = on.then(Instant::now);
    }
}

/// A lock that survives another thread's panic (the data stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Averages each parameter's gradient over the peers, in visiting order.
struct MeanGradients<'a, B: AutodiffBackend> {
    peer: &'a Peer,
    grads: GradientsParams,
    error: Option<TrainError>,
    _backend: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for MeanGradients<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if self.error.is_some() {
            return;
        }
        let Some(grad) = self.grads.remove::<B::InnerBackend, D>(param.id) else {
            return;
        };
        match self.peer.mean(grad) {
            Ok(mean) => self.grads.register(param.id, mean),
            Err(error) => self.error = Some(error),
        }
    }
}

/// Replaces each parameter by the writer's.
struct TakeWriters<'a, B: AutodiffBackend> {
    peer: &'a Peer,
    error: Option<TrainError>,
    _backend: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleMapper<B> for TakeWriters<'_, B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        if self.error.is_some() {
            return param;
        }
        param.map(|tensor| {
            let require_grad = tensor.is_require_grad();
            let inner = tensor.clone().inner();
            let mine = if self.peer.is_writer() {
                inner
            } else {
                inner.zeros_like()
            };
            match self.peer.all_reduce(mine, ReduceOperation::Sum) {
                Ok(writers) => Tensor::from_inner(writers).set_require_grad(require_grad),
                Err(error) => {
                    self.error = Some(error);
                    tensor
                }
            }
        })
    }
}

/// Each parameter's sum, to compare weights between peers.
struct Fingerprint<B: Backend> {
    sums: Vec<f32>,
    _backend: std::marker::PhantomData<B>,
}

impl<B: Backend> ModuleVisitor<B> for Fingerprint<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value = param.val();
        self.sums.push(value.clone().sum().into_scalar().elem());
        self.sums.push(value.abs().sum().into_scalar().elem());
    }
}

impl DataParallel {
    /// Peers in the whole run.
    pub fn peers(&self) -> usize {
        self.devices * self.nodes.as_ref().map_or(1, |n| n.count as usize)
    }

    /// Checks the numbers and addresses before anything starts.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.devices == 0 {
            return Err(TrainError::Invalid("--devices must be at least 1".into()));
        }
        if let Some(nodes) = &self.nodes {
            if nodes.count == 0 {
                return Err(TrainError::Invalid("--nodes must be at least 1".into()));
            }
            if nodes.rank >= nodes.count {
                return Err(TrainError::Invalid(format!(
                    "--node-rank {} is not below --nodes {}",
                    nodes.rank, nodes.count
                )));
            }
            socket_address(&nodes.coordinator, "--coordinator")?;
        }
        if self.timeout.is_zero() {
            return Err(TrainError::Invalid(
                "the peer timeout must be longer than 0 s".into(),
            ));
        }
        Ok(())
    }

    /// Runs `train` once per device of this machine, each on its own thread
    /// with its [`Peer`]: one machine's peers exchange through burn's
    /// collective on `K` (the backend without autodiff), several machines'
    /// through the coordinator, which node 0 starts first. Returns when every peer has finished, or at the first
    /// error — including a peer waiting on the others longer than
    /// [`Self::timeout`] — leaving the other threads behind (the process
    /// should then exit).
    pub fn launch<K, E, F>(&self, devices: Vec<K::Device>, train: F) -> Result<(), E>
    where
        K: Backend,
        E: From<TrainError> + Send + 'static,
        F: Fn(Peer, K::Device) -> Result<(), E> + Send + Sync + 'static,
    {
        self.validate()?;
        if devices.len() != self.devices {
            return Err(TrainError::Invalid(format!(
                "{} devices given for {} peers",
                devices.len(),
                self.devices
            ))
            .into());
        }
        let collective = CollectiveConfig::default().with_num_devices(self.devices);
        let coordinator = match &self.nodes {
            Some(nodes) => {
                let address = socket_address(&nodes.coordinator, "--coordinator")?;
                if nodes.rank == 0 {
                    star::start_coordinator(address.port(), self.peers())?;
                }
                Some(address)
            }
            None => None,
        };
        let (timeout, count) = (self.timeout, self.peers());
        let train = Arc::new(train);
        let node = self.nodes.as_ref().map_or(0, |n| n.rank as usize);
        let (report, reports) = mpsc::channel();
        let mut waiting = Vec::new();
        let mut finished = 0;
        for (local, device) in devices.into_iter().enumerate() {
            let rank = node * self.devices + local;
            let (ready, registration) = (report.clone(), device.clone());
            let collective = collective.clone();
            let starter: Starter = Box::new(move |peer: &Peer| {
                // The receiver is gone only when launch already returned.
                let _ = ready.send(Report::Ready);
                if let Some(coordinator) = coordinator {
                    let link = Link::connect(coordinator, peer.rank, count, timeout)?;
                    *lock(&peer.link) = Some(link);
                    return Ok(());
                }
                peer.set_waiting(true);
                let registered = burn_collective::register::<K>(peer.id, registration, collective);
                peer.set_waiting(false);
                registered
                    .map_err(|e| TrainError::Parallel(format!("joining the collective: {e:?}")))
            });
            let peer = Peer {
                id: PeerId::from(rank as u32),
                rank,
                count,
                waiting: Arc::new(Mutex::new(None)),
                start: Arc::new(Mutex::new(Some(starter))),
                link: Arc::new(Mutex::new(None)),
            };
            waiting.push(peer.waiting.clone());
            let (train, done) = (train.clone(), report.clone());
            std::thread::Builder::new()
                .name(format!("peer {rank}"))
                .spawn(move || {
                    let id = peer.id;
                    let mut result = train(peer.clone(), device);
                    if result.is_ok() && peer.started() && coordinator.is_none() {
                        result = burn_collective::finish_collective::<K>(id).map_err(|e| {
                            TrainError::Parallel(format!("leaving the collective: {e:?}")).into()
                        });
                    }
                    let _ = done.send(Report::Done(result));
                })
                .map_err(|source| TrainError::Io {
                    path: "peer thread".into(),
                    source,
                })?;
            // The next peer is built once this one is (or has ended).
            match self.wait(&reports, &waiting)? {
                Report::Ready => {}
                Report::Done(result) => {
                    result?;
                    finished += 1;
                }
            }
        }
        drop(report);
        while finished < self.devices {
            match self.wait(&reports, &waiting)? {
                Report::Ready => {}
                Report::Done(result) => {
                    result?;
                    finished += 1;
                }
            }
        }
        Ok(())
    }

    /// The next report of a peer thread, or an error when a thread panicked
    /// or a peer waits on the others longer than the timeout.
    fn wait<E: From<TrainError>>(
        &self,
        reports: &mpsc::Receiver<Report<E>>,
        waiting: &[Arc<Mutex<Option<Instant>>>],
    ) -> Result<Report<E>, E> {
        loop {
            match reports.recv_timeout(Duration::from_millis(250)) {
                Ok(report) => return Ok(report),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(TrainError::Parallel("a peer thread panicked".into()).into());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let stuck = waiting
                        .iter()
                        .any(|w| lock(w).is_some_and(|since| since.elapsed() > self.timeout));
                    if stuck {
                        return Err(TrainError::Parallel(format!(
                            "no answer from the other peers for {} s: a peer or machine stopped",
                            self.timeout.as_secs()
                        ))
                        .into());
                    }
                }
            }
        }
    }
}

/// What a peer thread tells [`DataParallel::launch`].
enum Report<E> {
    /// Its networks are built: the next peer may build its own.
    Ready,
    /// It has finished.
    Done(Result<(), E>),
}

/// `HOST:PORT` resolved, or an error naming the option.
fn socket_address(text: &str, option: &str) -> Result<SocketAddr, TrainError> {
    text.to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(|| TrainError::Invalid(format!("{option} {text}: not a HOST:PORT address")))
}

impl Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peer {} of {}", self.rank, self.count)
    }
}

/// The part of `total` items a trainer with `peer` takes (all without one);
/// `total` was checked to split evenly when the peer joined.
pub(crate) fn part(peer: Option<&Peer>, total: usize) -> Range<usize> {
    match peer {
        Some(peer) => {
            let each = total / peer.count;
            peer.rank * each..(peer.rank + 1) * each
        }
        None => 0..total,
    }
}

/// The rows of `tensor` (a batch) in `range`.
pub(crate) fn rows<K: Backend, const D: usize>(
    tensor: Tensor<K, D>,
    range: &Range<usize>,
) -> Tensor<K, D> {
    if range.start == 0 && range.end == tensor.dims()[0] {
        tensor
    } else {
        tensor.narrow(0, range.start, range.len())
    }
}

/// `grads` averaged over the peers (as they are without a peer).
pub(crate) fn mean_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(
    peer: Option<&Peer>,
    grads: GradientsParams,
    module: &M,
) -> Result<GradientsParams, TrainError> {
    match peer {
        Some(peer) => peer.mean_gradients(grads, module),
        None => Ok(grads),
    }
}

/// `values` (losses) averaged over the peers.
pub(crate) fn mean_values<K: Backend>(
    peer: Option<&Peer>,
    values: Vec<f32>,
    device: &K::Device,
) -> Result<Vec<f32>, TrainError> {
    match peer {
        Some(peer) => peer.mean_values::<K>(&values, device),
        None => Ok(values),
    }
}
