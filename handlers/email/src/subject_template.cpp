// Mail subjects: event templates checked as header values.
#include "subject_template.hpp"

#include "address.hpp"

namespace notify::handlers::email {

namespace {

// RFC 5322's limit for a header line; the subject is cut there, between two characters.
constexpr std::size_t max_subject_bytes = 998;

std::string_view checked(std::string_view text) {
    check_header_value(text, "subject");
    return text;
}

}  // namespace

SubjectTemplate::SubjectTemplate(std::string_view text) : template_(checked(text), "subject") {}

std::string SubjectTemplate::render(const core::Event& event) const {
    return template_.render(event, max_subject_bytes);
}

}  // namespace notify::handlers::email
