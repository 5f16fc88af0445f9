// Values to payloads and back (codec/value_codec.h): every kind round-trips
// through serialize and ValueBuilder, and a header whose sizes contradict its
// kind is Corruption.

#include "codec/value_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "codec/entry_format.h"
#include "test_support.h"

namespace voxcache::codec {
namespace {

Result<Value> round_trip(const Value& v) {
  Result<Payload> p = serialize(v, nullptr);
  if (!p.ok()) return p.status();
  EntryHeader h;
  h.kind = p->kind;
  h.kind_header = p->kind_header;
  h.payload_bytes = p->bytes().size();
  Result<ValueBuilder> b = ValueBuilder::Create(h, p->data_type, nullptr);
  if (!b.ok()) return b.status();
  if (!p->bytes().empty()) std::memcpy(b->buffer(), p->bytes().data(), p->bytes().size());
  return std::move(b).value().finish();
}

TEST(ValueCodec, EveryBuiltInKindRoundTrips) {
  for (const Value& v :
       {Value(), Value(true), Value(int64_t{-42}), Value(-0.0), Value(std::string("a\0b", 3))}) {
    Result<Value> back = round_trip(v);
    ASSERT_OK(back.status());
    EXPECT_EQ(back->kind(), v.kind());
    EXPECT_EQ(back->type_tag(), v.type_tag());
  }
  EXPECT_TRUE(std::signbit(*round_trip(Value(-0.0))->as_double()));
  EXPECT_EQ(*round_trip(Value(std::string("a\0b", 3)))->as_string(), std::string("a\0b", 3));
  const Volume vol = testing::make_ramp_volume(PixelType::kInt16, 2, {5, 4, 3});
  Result<Value> back = round_trip(Value(vol));
  ASSERT_OK(back.status());
  EXPECT_EQ(*back->as_volume(), vol);
}

TEST(ValueCodec, AVolumesPayloadIsItsBufferNotACopy) {
  const Volume vol = testing::make_ramp_volume(PixelType::kFloat32, 1, {8, 8, 8});
  Result<Payload> p = serialize_volume(vol);
  ASSERT_OK(p.status());
  EXPECT_EQ(static_cast<const void*>(p->bytes().data()), vol.data());
  EXPECT_EQ(p->slice_bytes, 8u * 8 * 4);
  EXPECT_EQ(p->row_bytes, 8u * 4);
}

TEST(ValueCodec, SizesThatContradictTheKindAreCorruption) {
  EntryHeader h;
  h.kind = Value::Kind::kInt64;
  h.payload_bytes = 7;
  EXPECT_TRUE(ValueBuilder::Create(h, "int64", nullptr).status().is_corruption());
  h.kind = Value::Kind::kVolume;
  h.kind_header =
      encode_layout(testing::make_ramp_volume(PixelType::kUInt8, 1, {2, 2, 2}).layout());
  h.payload_bytes = 9;
  EXPECT_TRUE(ValueBuilder::Create(h, "volume", nullptr).status().is_corruption());
  h.kind = Value::Kind::kCustom;
  h.kind_header = "nobody.registered";
  EXPECT_TRUE(ValueBuilder::Create(h, "nobody.registered", nullptr).status().is_not_supported());
}

}  // namespace
}  // namespace voxcache::codec
