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

// Tags that repeat the last one's layout are read by comparing bytes (the tag
// shape): every way a tag can differ from the last must still read right.
TEST(XmlTokenizer, TagsLikeTheLastOneAndTagsThatDiffer) {
  const std::string doc =
      "<e>"
      "<r a=\"1\" b='2'/>"
      "<r a=\"10\" b='20'/>"              // same layout
      "<r a=\"x&amp;y\" b='3'/>"          // a value to decode
      "<r a=\"4\" b='5'/>"
      "<r a=\"5 \t6\" b='6'/>"           // a tab: decoded to a space
      "<r a=\"7\"  b='8'/>"               // other spacing
      "<r b='9' a=\"9\"/>"                // other order
      "<s a=\"1\" b='2'/>"                // another element, same length
      "<r a=\"it's\" b='say \"hi\"'/>"   // the other quote inside values
      "<r a=\"\" b=''/>"                  // empty values
      "<r a=\"1\" b='2'>t</r>"            // not empty
      "<r a=\"1\" b='2'><r a=\"3\" b='4'/></r>"
      "<r\na=\"1\"\nb='2'/>"            // line ends inside the tag
      "<r a=\"1\" b='2' c=\"3\"/>"      // one more attribute
      "<r a=\"1\"/>"                      // one fewer
      "</e>";
  const std::string want =
      "<e>"
      "<r a=1 b=2></r>"
      "<r a=10 b=20></r>"
      "<r a=x&y b=3></r>"
      "<r a=4 b=5></r>"
      "<r a=5  6 b=6></r>"
      "<r a=7 b=8></r>"
      "<r b=9 a=9></r>"
      "<s a=1 b=2></s>"
      "<r a=it's b=say \"hi\"></r>"
      "<r a= b=></r>"
      "<r a=1 b=2>'t'</r>"
      "<r a=1 b=2><r a=3 b=4></r></r>"
      "<r a=1 b=2></r>"
      "<r a=1 b=2 c=3></r>"
      "<r a=1></r>"
      "</e>";
  EXPECT_EQ(Events(doc), want);
  for (size_t step : {1, 5, 13}) EXPECT_EQ(Events(doc, step), want) << step;
  // What the last tag's shape would accept is still refused when wrong.
  EXPECT_NE(Error("<e><r a=\"1\" b='2'/><r a=\"1\" b='2' a=\"3\"/></e>").find("given twice"), std::string::npos);
  EXPECT_NE(Error("<e><r a=\"1\" b='2'/><r a=\"1<\" b='2'/></e>").find("'<' in an attribute value"), std::string::npos);
  EXPECT_NE(Error("<e><r a=\"1\" b='2'/></e><r a=\"1\" b='2'/>").find("a second root element"), std::string::npos);
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
