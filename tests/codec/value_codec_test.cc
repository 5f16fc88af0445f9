// Values to payloads and back (codec/value_codec.h): every kind round-trips
// through serialize and ValueBuilder, and a header whose sizes contradict its
// kind is Corruption, as is every list payload that breaks its grammar.

#include "codec/value_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "codec/entry_format.h"
#include "test_support.h"

namespace voxcache::codec {
namespace {

// Decodes `payload` as an entry of `kind` would be.
Result<Value> decode(Value::Kind kind, const std::string& data_type, std::string_view payload,
                     const std::string& kind_header = "", const TypeRegistry* types = nullptr) {
  EntryHeader h;
  h.kind = kind;
  h.kind_header = kind_header;
  h.payload_bytes = payload.size();
  Result<ValueBuilder> b = ValueBuilder::Create(h, data_type, types);
  if (!b.ok()) return b.status();
  if (!payload.empty()) std::memcpy(b->buffer(), payload.data(), payload.size());
  return std::move(b).value().finish();
}

Result<Value> round_trip(const Value& v, const TypeRegistry* types = nullptr) {
  Result<Payload> p = serialize(v, types);
  if (!p.ok()) return p.status();
  return decode(p->kind, p->data_type, p->bytes(), p->kind_header, types);
}

// A list payload by hand: docs/format.md 2.1's grammar.
struct ItemBytes {
  uint8_t kind;
  std::string kind_header, payload;
};
std::string list_payload(const std::vector<ItemBytes>& items, uint32_t count_override = 0) {
  std::string out;
  auto put = [&](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(count_override ? count_override : static_cast<uint32_t>(items.size()));
  for (const ItemBytes& i : items) {
    put(i.kind);
    put(static_cast<uint32_t>(i.kind_header.size()));
    out += i.kind_header;
    put(static_cast<uint64_t>(i.payload.size()));
    out.append((8 - out.size() % 8) % 8, '\0');  // each payload at a multiple of 8
    out += i.payload;
  }
  return out;
}

Value nested(int depth) {
  Value v(int64_t{7});
  for (int i = 0; i < depth; ++i) v = Value::List({v});
  return v;
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

TEST(ValueCodec, ListsAndTuplesKeepEveryItemInItsOwnTypedForm) {
  TypeRegistry types;
  ASSERT_OK(types.add_type<int>(
      "test.int", [](const int& i) -> Result<std::string> { return std::to_string(i); },
      [](std::string_view b) -> Result<int> { return std::stoi(std::string(b)); }));
  VolumeLayout image = testing::make_ramp_volume(PixelType::kUInt16, 1, {6, 5, 1}).layout();
  image.dimension = 2;
  const Volume mask = testing::make_volume(PixelType::kBool, 1, {4, 3, 2});
  const Volume rgb = testing::make_ramp_volume(PixelType::kUInt8, 3, {3, 3, 3});
  const Volume plane =
      Volume::Copy(image, testing::make_ramp_volume(PixelType::kUInt16, 1, {6, 5, 1}).data(),
                   image.byte_size())
          .value();
  const Value v =
      Value::Tuple({Value(mask), Value(1234.5), Value::List({}), Value(),
                    Value::List({Value(rgb), Value::Tuple({Value("a\0b"), Value(true)})}),
                    Value(plane), Value::Custom("test.int", 42), Value(int64_t{-1})});
  Result<Value> back = round_trip(v, &types);
  ASSERT_OK(back.status());
  ASSERT_EQ(back->kind(), Value::Kind::kTuple);
  EXPECT_EQ(back->type_tag(), "tuple");
  const std::vector<Value>& items = *back->items();
  ASSERT_EQ(items.size(), 8u);
  EXPECT_EQ(*items[0].as_volume(), mask);
  EXPECT_EQ(*items[1].as_double(), 1234.5);
  EXPECT_EQ(items[2].kind(), Value::Kind::kList);
  EXPECT_TRUE(items[2].items()->empty());
  EXPECT_TRUE(items[3].is_null());
  EXPECT_EQ(items[4], v.items()->at(4)) << "a nested list, item by item";
  EXPECT_EQ(items[4].items()->at(1).kind(), Value::Kind::kTuple);
  EXPECT_EQ(*items[5].as_volume(), plane);
  EXPECT_EQ(items[5].as_volume()->dimension(), 2u) << "the 184-byte header of a 2D image";
  EXPECT_EQ(*items[6].custom<int>(), 42);
  EXPECT_EQ(*items[7].as_int64(), -1);
  // Equality is item by item, and a list is not a tuple of the same items.
  EXPECT_EQ(Value::List({Value(1), Value(mask)}), Value::List({Value(1), Value(Volume(mask))}));
  EXPECT_NE(Value::List({Value(1)}), Value::Tuple({Value(1)}));
  EXPECT_NE(Value::List({Value(1)}), Value::List({Value(2)}));
}

TEST(ValueCodec, VolumeItemsViewTheListsBufferAlignedForTheirPixelType) {
  // Items of odd sizes before each volume: every payload still starts at a
  // multiple of 8, so the volumes are views, not copies, and aligned.
  const Volume f64 = testing::make_ramp_volume(PixelType::kFloat64, 1, {3, 2, 1});
  const Volume u16 = testing::make_ramp_volume(PixelType::kUInt16, 3, {5, 1, 1});
  Result<Value> back = round_trip(
      Value::List({Value("odd"), Value(f64), Value(true), Value::Tuple({Value("x"), Value(u16)})}));
  ASSERT_OK(back.status());
  const Volume& a = *back->items()->at(1).as_volume();
  const Volume& b = *back->items()->at(3).items()->at(1).as_volume();
  EXPECT_EQ(a, f64);
  EXPECT_EQ(b, u16);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 8, 0u);
  EXPECT_FALSE(a.owns_buffer()) << "a view of the list's buffer";
  const auto pa = a.shared_data(), pb = b.shared_data();
  EXPECT_TRUE(!pa.owner_before(pb) && !pb.owner_before(pa)) << "one buffer for both";
  EXPECT_EQ(a.pixels<double>()[5], f64.pixels<double>()[5]);
}

TEST(ValueCodec, WhatCannotBeStoredInAListIsRefusedNamingTheItem) {
  Status s =
      serialize(Value::List({Value(1), Value::Custom("nobody.registered", 1)}), nullptr).status();
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_NE(s.to_string().find("item 1"), std::string::npos) << s.to_string();
  ASSERT_OK(round_trip(nested(Value::kMaxNesting)).status());
  s = serialize(nested(Value::kMaxNesting + 1), nullptr).status();
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  Value bad_mask = Value(testing::make_volume(PixelType::kBool, 1, {2, 1, 1}));
  Volume two = *bad_mask.as_volume();
  two.mutable_data()[1] = 2;
  EXPECT_TRUE(
      serialize(Value::Tuple({Value(std::move(two))}), nullptr).status().is_invalid_argument());
}

TEST(ValueCodec, AListPayloadThatBreaksItsGrammarIsCorruption) {
  const std::string i64(8, '\x01');
  const std::string mask_header =
      encode_layout(testing::make_volume(PixelType::kBool, 1, {2, 1, 1}).layout());
  auto corrupt = [&](const std::string& payload, const char* why) {
    Result<Value> v = decode(Value::Kind::kList, "list", payload);
    EXPECT_TRUE(v.status().is_corruption()) << why << ": " << v.status().to_string();
  };
  ASSERT_OK(decode(Value::Kind::kList, "list", list_payload({{2, "", i64}})).status());
  corrupt("", "no count");
  corrupt("\x01\x00\x00", "a short count");
  corrupt(list_payload({{2, "", i64}}, 0xffffffff), "four billion items in 25 bytes");
  corrupt(list_payload({{2, "", i64}}, 2), "a count beyond the items");
  corrupt(list_payload({{2, "", i64}}) + "x", "a byte after the last item");
  corrupt(list_payload({{2, "", i64}}).substr(0, 20), "a truncated item");
  corrupt(list_payload({{9, "", ""}}), "an unknown kind");
  corrupt(list_payload({{2, "", "1234567"}}), "an int64 of 7 bytes");
  corrupt(list_payload({{1, "", "\x02"}}), "a bool of 2");
  corrupt(list_payload({{2, "junk", i64}}), "a kind header on an int64");
  corrupt(list_payload({{5, mask_header, "\x01"}}), "a volume's payload of the wrong size");
  corrupt(list_payload({{5, mask_header, std::string("\x01\x02", 2)}}), "a mask voxel of 2");
  corrupt(list_payload({{5, "short", "ab"}}), "a bad volume header");
  std::string padded = list_payload({{2, "", i64}});
  padded[4 + 13] = 1;  // the first of the 3 bytes before the int64
  corrupt(padded, "padding that is not zero");
  corrupt(list_payload({{7, "junk", list_payload({})}}), "a kind header on a nested list");
  // A hostile list nested past the limit stops there, with no deep recursion.
  std::string deep = list_payload({{2, "", i64}});
  for (int i = 0; i < 40; ++i) deep = list_payload({{7, "", deep}});
  corrupt(deep, "nested 41 deep");
  // The data_type column and the header agree, as for every kind.
  EXPECT_TRUE(decode(Value::Kind::kTuple, "list", list_payload({})).status().is_corruption());
  // A custom item with no decoder is NotSupported, as a custom entry is.
  Result<Value> unknown = decode(Value::Kind::kList, "list", list_payload({{6, "nobody.x", "1"}}));
  EXPECT_TRUE(unknown.status().is_not_supported()) << unknown.status().to_string();
}

TEST(ValueCodec, AFallbackCodecKeepsEveryUnregisteredTagAsItsBytes) {
  TypeRegistry types;
  EXPECT_EQ(types.find("py.json"), nullptr);
  types.set_fallback(
      {[](const std::any& o) -> Result<std::string> { return std::any_cast<std::string>(o); },
       [](std::string_view b) -> Result<std::any> { return std::any(std::string(b)); }});
  Result<Value> v =
      decode(Value::Kind::kList, "list", list_payload({{6, "py.json", "{}"}}), "", &types);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->items()->at(0).type_tag(), "py.json");
  EXPECT_EQ(*v->items()->at(0).custom<std::string>(), "{}");
  // Written back, the bytes are the same: what recompress relies on.
  Result<Payload> again = serialize(*v, &types);
  ASSERT_OK(again.status());
  EXPECT_EQ(again->bytes(), list_payload({{6, "py.json", "{}"}}));
}

TEST(ValueCodec, ListsAndTuplesAreBuiltInTags) {
  TypeRegistry types;
  auto enc = [](const std::any&) -> Result<std::string> { return std::string(); };
  auto dec = [](std::string_view) -> Result<std::any> { return std::any(); };
  EXPECT_TRUE(types.add("list", enc, dec).is_invalid_argument());
  EXPECT_TRUE(types.add("tuple", enc, dec).is_invalid_argument());
}

}  // namespace
}  // namespace voxcache::codec
