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

TEST(MetricsTest, LabelValuesFindTheirOwnChild) {
  Family<Counter> f("x_total", "x", {"route", "code"});
  Counter& ok = f.With({"/", "200"});
  const std::string route = "/", code = "200";
  EXPECT_EQ(&f.With({route, code}), &ok);  // found again from other storage
  EXPECT_NE(&f.With({"/", "2000"}), &ok);  // a value that extends another is another child
  EXPECT_NE(&f.With({"/v1", "200"}), &ok);
  EXPECT_NE(&f.With({"", "/200"}), &ok);
  f.With({route, code}).Inc(2);
  std::string text;
  f.Render(text);
  EXPECT_NE(text.find("x_total{route=\"/\",code=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{route=\"/\",code=\"2000\"} 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace telecollect
