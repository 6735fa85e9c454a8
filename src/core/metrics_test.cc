#include "core/metrics.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(MetricsTest, RendersPrometheusText) {
  Metrics m;
  m.http_requests.With({"/", "200"}).Inc(3);
  m.commit_batch.With({}).Observe(10);
  m.commit_batch.With({}).Observe(100000);
  m.queue_depth.Set(2);
  const std::string text = m.Render();
  EXPECT_NE(text.find("telecollect_http_requests_total{route=\"/\",code=\"200\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("telecollect_commit_batch_rows_bucket{le=\"16\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("telecollect_commit_batch_rows_bucket{le=\"+Inf\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("telecollect_commit_batch_rows_count 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("telecollect_write_queue_depth 2\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace telecollect
