//! `benchThreadsafeCalls`: the baseline for benchmark B8 (`bench/`), not part of the API
//! users are told about. It measures what one threadsafe-function call per event costs,
//! so that tickflow's batched event delivery can be set next to it in the same run.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

type Callback = ThreadsafeFunction<u32, (), u32, Status, false>;

/// Calls the threadsafe function `count` times from a libuv worker thread.
pub struct CallLoop {
    count: u32,
    callback: Arc<Callback>,
}

impl Task for CallLoop {
    /// Nanoseconds the worker thread spent queueing the calls.
    type Output = f64;
    type JsValue = f64;

    fn compute(&mut self) -> Result<f64> {
        let started = std::time::Instant::now();
        for i in 0..self.count {
            // Non-blocking with an unbounded queue: the loop never waits for JavaScript,
            // so what the listener sees is the threadsafe function's own delivery rate.
            let status = self
                .callback
                .call(i, ThreadsafeFunctionCallMode::NonBlocking);
            if status != Status::Ok {
                return Err(Error::new(status, format!("call {i} was refused")));
            }
        }
        Ok(started.elapsed().as_nanos() as f64)
    }

    fn resolve(&mut self, _env: Env, queued_ns: f64) -> Result<f64> {
        Ok(queued_ns)
    }
}

/// `benchThreadsafeCalls(count, callback)`: `callback(i)` is called for i in 0..count, one
/// threadsafe-function call each. Resolves with the nanoseconds spent queueing the calls
/// once they are all queued (the caller counts deliveries itself).
#[napi(catch_unwind, ts_return_type = "Promise<number>")]
pub fn bench_threadsafe_calls(
    count: u32,
    callback: Function<u32, ()>,
) -> Result<AsyncTask<CallLoop>> {
    let callback = callback
        .build_threadsafe_function::<u32>()
        .callee_handled::<false>()
        .build()?;
    Ok(AsyncTask::new(CallLoop {
        count,
        callback: Arc::new(callback),
    }))
}
