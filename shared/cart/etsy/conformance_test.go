package etsy

import _ "github.com/getkin/kin-openapi/openapi3filter"
