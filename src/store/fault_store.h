#pragma once

#include <chrono>
#include <vector>

#include "core/mutex.h"
#include "store/store.h"

namespace telecollect::store {

// A test double for fault injection around the write path: Write() can be held
// (to fill the queue) or made to fail, Sync() made to fail. Reads are empty.
// Thread-safe.
class FaultStore final : public Store {
 public:
  void HoldWrites(bool hold) TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    hold_ = hold;
    cv_.NotifyAll();
  }
  void FailWrites(bool fail) TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    fail_write_ = fail;
  }
  void FailSync(bool fail) TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    fail_sync_ = fail;
  }
  // TryLease fails (kUnavailable) while set.
  void FailLeases(bool fail) TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    fail_leases_ = fail;
  }
  // When TryLease was called (steady clock, ms), oldest first.
  std::vector<int64_t> lease_tries() const TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return lease_tries_;
  }
  size_t writes() const TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return writes_;
  }

  Result<std::vector<WriteResult>> Write(std::span<const WriteBatch* const> batches) override {
    MutexLock lock(mu_);
    while (hold_) cv_.Wait(lock);
    ++writes_;
    if (fail_write_) return Status::IoError("injected write failure");
    std::vector<WriteResult> out(batches.size());
    for (size_t i = 0; i < batches.size(); ++i) {
      out[i].frames_new = batches[i]->frames.size();
      out[i].duplicate.assign(batches[i]->frames.size(), false);
    }
    return out;
  }
  Status Sync() override {
    MutexLock lock(mu_);
    return fail_sync_ ? Status::IoError("injected fsync failure") : Status::Ok();
  }
  Status Redecode(const Scope&, std::span<const Redecoded>) override { return Status::Ok(); }
  Status PutDecoderVersion(const DecoderVersion&) override { return Status::Ok(); }
  Result<std::vector<DecoderVersion>> ListDecoderVersions(const std::optional<Scope>&, const std::string&, bool) override {
    return std::vector<DecoderVersion>{};
  }
  Status ActivateDecoderVersion(const Scope&, const std::string&, const std::string&, EpochMs) override {
    return Status::Ok();
  }
  Status PutEnvelopeVersion(const EnvelopeVersion&) override { return Status::Ok(); }
  Result<std::vector<EnvelopeVersion>> ListEnvelopeVersions(const std::optional<Scope>&, const std::string&,
                                                            bool) override {
    return std::vector<EnvelopeVersion>{};
  }
  Status ActivateEnvelopeVersion(const Scope&, const std::string&, const std::string&, EpochMs) override {
    return Status::Ok();
  }
  Status PutTypeAlias(const TypeAlias&) override { return Status::Ok(); }
  Result<std::vector<TypeAlias>> ListTypeAliases(const std::optional<Scope>&) override { return std::vector<TypeAlias>{}; }
  Result<int64_t> CreateToken(const TokenRecord&) override { return int64_t{1}; }
  Result<std::optional<TokenRecord>> FindToken(const TokenHash&) override { return std::optional<TokenRecord>(); }
  Result<std::vector<TokenRecord>> ListTokens(const std::optional<std::string>&) override {
    return std::vector<TokenRecord>();
  }
  Status RevokeToken(const std::string&, EpochMs) override { return Status::NotFound("none"); }
  Result<std::vector<FrameRecord>> QueryFrames(const FrameQuery&) override { return std::vector<FrameRecord>(); }
  Result<std::vector<ModuleInfo>> ListModules(const Scope&, std::string_view, std::string_view, size_t) override {
    return std::vector<ModuleInfo>();
  }
  Result<std::vector<ModuleInfo>> FindModules(const Scope&, std::span<const std::string>) override {
    return std::vector<ModuleInfo>();
  }
  Result<std::vector<Point>> QueryMeasurements(const MeasurementQuery&) override { return std::vector<Point>(); }
  Result<std::vector<Scope>> ListScopes() override { return std::vector<Scope>(); }
  Status UpsertDevices(const Scope&, std::span<const Device>) override { return Status::Ok(); }
  Result<int64_t> DeviceRegistryVersion() override { return int64_t{0}; }
  Result<std::vector<Device>> ListDevices(const Scope&, std::string_view, size_t) override {
    return std::vector<Device>();
  }
  Result<FileImport> ImportFile(const Scope&, const FileProducer&, Durability, const std::optional<Fence>&) override {
    return Status::Unsupported("fault store");
  }
  Status RecordFile(const FileRecord&, const std::optional<Fence>&) override { return Status::Ok(); }
  Result<std::optional<FileRecord>> FindFile(const std::string&, const std::string&, int64_t, int64_t) override {
    return std::optional<FileRecord>();
  }
  Result<std::vector<FileRecord>> ListFiles(const FileQuery&) override {
    return std::vector<FileRecord>();
  }
  Result<int64_t> StartRun(const RunRecord&) override { return int64_t{1}; }
  Status FinishRun(const RunRecord&) override { return Status::Ok(); }
  Result<int64_t> CloseInterruptedRuns(const std::string&, EpochMs, const std::optional<Fence>&) override {
    return int64_t{0};
  }
  Result<std::vector<RunRecord>> ListRuns(const std::optional<std::string>&, size_t, std::optional<int64_t>) override {
    return std::vector<RunRecord>();
  }
  Result<EpochMs> NoteSighting(const std::string&, const std::string&, int64_t, int64_t, EpochMs now) override {
    return now;
  }
  Status ForgetSighting(const std::string&, const std::string&) override { return Status::Ok(); }
  Status ForgetSightingsExcept(const std::string&, const std::vector<std::string>&) override { return Status::Ok(); }
  // Always got, with token 1 (unless FailLeases).
  Result<std::optional<int64_t>> TryLease(const std::string&, const std::string&, EpochMs, int64_t) override {
    MutexLock lock(mu_);
    lease_tries_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count());
    if (fail_leases_) return Status::Unavailable("injected lease failure");
    return std::optional<int64_t>(1);
  }
  Status ReleaseLease(const std::string&, const std::string&) override { return Status::Ok(); }
  Result<std::optional<std::string>> LeaseHolder(const std::string&) override { return std::optional<std::string>(); }
  Result<std::optional<std::string>> GetState(const std::string&, const std::string&) override {
    return std::optional<std::string>();
  }
  Status PutState(const std::string&, const std::string&, const std::string&, const std::optional<Fence>&) override {
    return Status::Ok();
  }
  Status ImportWindow(const Scope&, const std::string&, const std::string&, const std::string&, const WindowProducer&,
                      const std::optional<Fence>&) override {
    return Status::Unsupported("fault store");
  }

 private:
  mutable Mutex mu_;
  CondVar cv_;
  bool hold_ TC_GUARDED_BY(mu_) = false;
  bool fail_write_ TC_GUARDED_BY(mu_) = false;
  bool fail_sync_ TC_GUARDED_BY(mu_) = false;
  bool fail_leases_ TC_GUARDED_BY(mu_) = false;
  size_t writes_ TC_GUARDED_BY(mu_) = 0;
  std::vector<int64_t> lease_tries_ TC_GUARDED_BY(mu_);
};

}  // namespace telecollect::store
