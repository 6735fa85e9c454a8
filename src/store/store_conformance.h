#pragma once
// The fixture of the store conformance suite (store_conformance_test.cc,
// store_fence_test.cc): one fresh store of the backend the test is
// instantiated for (store_test_backends.h). The suite is instantiated once,
// in store_conformance_test.cc, over every backend.

#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>

#include "store/store_test_backends.h"

namespace telecollect::store {

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    factory_ = std::make_unique<TestStoreFactory>(GetParam());
    auto s = factory_->Open();
    ASSERT_TRUE(s.ok()) << GetParam() << ": " << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    factory_.reset();
  }
  // Another store on the same data (a restart, or another process or node).
  Result<std::unique_ptr<Store>> OpenAgain() { return factory_->Open(); }
  WriteResult WriteOne(WriteBatch b) {
    const WriteBatch* p = &b;
    auto r = store_->Write(std::span<const WriteBatch* const>(&p, 1));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0] : WriteResult{};
  }
  std::unique_ptr<TestStoreFactory> factory_;
  std::unique_ptr<Store> store_;
  Scope pre_{"acme", Env::kPreprod};
  Scope prod_{"acme", Env::kProd};
};

}  // namespace telecollect::store
