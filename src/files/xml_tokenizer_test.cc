#include "files/xml_tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace telecollect::files {
namespace {

// Records events as text: "<name a=v ...>", "</name>", "'text'".
class Recorder : public XmlTokenizer::Handler {
 public:
  Status OnStart(std::string_view name, std::span<const XmlTokenizer::Attribute> attrs) override {
    out += "<" + std::string(name);
    for (const auto& a : attrs) out += " " + std::string(a.name) + "=" + std::string(a.value);
    out += ">";
    return Status::Ok();
  }
  Status OnEnd(std::string_view name) override {
    out += "</" + std::string(name) + ">";
    return Status::Ok();
  }
  Status OnText(std::string_view text) override {
    if (text.find_first_not_of(" \n\t") != std::string_view::npos) out += "'" + std::string(text) + "'";
    return Status::Ok();
  }
  std::string out;
};

// Parses `doc`, handing the tokenizer at most `step` bytes per read.
Status Parse(std::string_view doc, std::string& events, size_t step = 1 << 20) {
  Recorder r;
  XmlTokenizer t(r);
  size_t at = 0;
  Status s = t.Parse([&](char* buf, size_t cap) -> Result<size_t> {
    const size_t n = std::min({cap, step, doc.size() - at});
    std::memcpy(buf, doc.data() + at, n);
    at += n;
    return n;
  });
  events = r.out;
  return s;
}

std::string Events(std::string_view doc, size_t step = 1 << 20) {
  std::string events;
  Status s = Parse(doc, events, step);
  EXPECT_TRUE(s.ok()) << s.ToString() << " after " << events;
  return events;
}

std::string Error(std::string_view doc) {
  std::string events;
  Status s = Parse(doc, events);
  EXPECT_FALSE(s.ok()) << doc;
  return s.message();
}

constexpr const char* kDoc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<!DOCTYPE export [ <!ELEMENT export ANY> <!-- ] > --> ]>\r\n"
    "<!-- a comment with <tags> -->\r\n"
    "<ns:export xmlns:ns=\"urn:x\" site='Lyon &amp; Co'>\r\n"
    "  <r id=\"A&#233;1\" t=\"2026-10-25\tT01:00\"/>\r\n"
    "  <r id=\"B\">12,5 &lt;kWh&gt; &#x20AC;<![CDATA[<raw & text>]]></r>\r\n"
    "  <?pi ignored?>\r\n"
    "</ns:export>\r\n";

TEST(XmlTokenizer, DecodesReferencesCdataAndLineEnds) {
  EXPECT_EQ(Events(kDoc),
            "<ns:export xmlns:ns=urn:x site=Lyon & Co>"
            "<r id=A\xC3\xA9" "1 t=2026-10-25 T01:00></r>"
            "<r id=B>'12,5 <kWh> \xE2\x82\xAC''<raw & text>'</r>"
            "</ns:export>");
}

TEST(XmlTokenizer, SameEventsWhateverTheReadSize) {
  const std::string whole = Events(kDoc);
  for (size_t step : {1, 2, 3, 7, 16, 100}) EXPECT_EQ(Events(kDoc, step), whole) << step;
}

TEST(XmlTokenizer, ShortCommentsAtTheEnd) {
  EXPECT_EQ(Events("<a/><!---->"), "<a></a>");
  EXPECT_EQ(Events("<a><!----></a>"), "<a></a>");
}

TEST(XmlTokenizer, ATokenLongerThanTheBufferIsRead) {
  const std::string big(600000, 'x');
  EXPECT_EQ(Events("<a v=\"" + big + "\">" + big + "</a>"), "<a v=" + big + ">'" + big + "'</a>");
}

TEST(XmlTokenizer, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(Error("<a>\n <b></a>"), "line 2, column 5: </a> closes <b>");
  EXPECT_EQ(Error("<a><b>"), "line 1, column 7: the document ends before </b> (truncated file?)");
  EXPECT_EQ(Error("<a/>x"), "line 1, column 5: text after the root element");
  EXPECT_EQ(Error("<a/><b/>"), "line 1, column 5: a second root element");
  EXPECT_EQ(Error("<a>&nbsp;</a>"), "line 1, column 4: undefined entity &nbsp; (entities declared in a DTD are not supported)");
  EXPECT_EQ(Error("<a>AT&T</a>"), "line 1, column 6: '&' not followed by a reference (write &amp;)");
  EXPECT_EQ(Error("<a>&#0;</a>"), "line 1, column 4: bad character reference &#0;");
  EXPECT_EQ(Error("<a x=\"1\" x=\"2\"/>"), "line 1, column 10: attribute x given twice");
  EXPECT_EQ(Error("<a x=1/>"), "line 1, column 6: attribute x: value not quoted");
  EXPECT_EQ(Error("<a x=\"<\"/>"), "line 1, column 7: '<' in an attribute value");
  EXPECT_EQ(Error("<a x=\"1\"y=\"2\"/>"), "line 1, column 9: attributes must be separated by whitespace");
  EXPECT_EQ(Error("  \n "), "line 2, column 2: no root element (empty document?)");
  EXPECT_EQ(Error("<a><!-- open"), "line 1, column 4: the document ends inside a tag, comment or CDATA section (truncated file?)");
  EXPECT_EQ(Error("</a>"), "line 1, column 1: end tag </a> without a start tag");
}

TEST(XmlTokenizer, AHandlerErrorStopsTheParse) {
  class Stop : public Recorder {
    Status OnEnd(std::string_view) override { return Status::InvalidArgument("enough"); }
  } stop;
  XmlTokenizer t(stop);
  const std::string doc = "<a><b/><c/></a>";
  size_t at = 0;
  Status s = t.Parse([&](char* buf, size_t cap) -> Result<size_t> {
    const size_t n = std::min(cap, doc.size() - at);
    std::memcpy(buf, doc.data() + at, n);
    at += n;
    return n;
  });
  EXPECT_EQ(s.message(), "enough");
  EXPECT_EQ(stop.out, "<a><b>");
}

}  // namespace
}  // namespace telecollect::files
